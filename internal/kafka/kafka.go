// Package kafka connects boxoffice to the Kafka cluster that carries the
// sale events (kafka-go).
package kafka

import (
	"context"
	"errors"

	kafkago "github.com/segmentio/kafka-go"
)

// Ping reports whether any of the brokers answers a metadata request.
func Ping(brokers []string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var errs []error
		for _, b := range brokers {
			conn, err := kafkago.DialContext(ctx, "tcp", b)
			if err == nil {
				_, err = conn.Brokers()
				conn.Close()
				if err == nil {
					return nil
				}
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
}
