package kafka

import (
	"context"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"
)

// GroupLag is how many messages of topic the consumer group has not
// committed yet: the topic's last offsets minus the group's committed
// offsets, over every partition (a partition the group never committed
// counts from its first offset).
func GroupLag(ctx context.Context, brokers []string, group, topic string) (int64, error) {
	c := &kafkago.Client{Addr: kafkago.TCP(brokers...)}
	meta, err := c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("kafka metadata of %s: %w", topic, err)
	}
	var parts []int
	var ask []kafkago.OffsetRequest
	for _, t := range meta.Topics {
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
			ask = append(ask, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
		}
	}
	ends, err := c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: ask}})
	if err != nil {
		return 0, fmt.Errorf("kafka offsets of %s: %w", topic, err)
	}
	done, err := c.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return 0, fmt.Errorf("kafka offsets of group %s: %w", group, err)
	}
	committed := map[int]int64{}
	for _, p := range done.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	var lag int64
	for _, p := range ends.Topics[topic] {
		if p.Error != nil {
			return 0, fmt.Errorf("kafka offsets of %s partition %d: %w", topic, p.Partition, p.Error)
		}
		from := committed[p.Partition]
		if from < p.FirstOffset {
			from = p.FirstOffset
		}
		lag += max(0, p.LastOffset-from)
	}
	return lag, nil
}
