package cli

import (
	"context"
	"fmt"
	"os"
	"slices"

	"boxoffice/internal/config"
	"boxoffice/internal/devstack"
)

// devCmd runs the local stack: "dev up", "dev down", "dev status", or
// "dev stop|kill|start PART..." for some of its parts.
func devCmd(cfg *config.Config, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("%w: name an action", errUsage)
	case !slices.Contains([]string{"up", "down", "status", "stop", "kill", "start"}, args[0]):
		return fmt.Errorf("%w: unknown dev action %q", errUsage, args[0])
	case slices.Contains([]string{"up", "down", "status"}, args[0]) && len(args) > 1:
		return fmt.Errorf("%w: dev %s takes no arguments", errUsage, args[0])
	case !slices.Contains([]string{"up", "down", "status"}, args[0]) && len(args) == 1:
		return fmt.Errorf("%w: dev %s needs part names", errUsage, args[0])
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	s, err := devstack.New(cfg, bin, os.Stdout)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		sum, err := s.Up(context.Background())
		if err != nil {
			return err
		}
		s.PrintWelcome(sum)
		return nil
	case "down":
		return s.Down()
	case "status":
		return s.Status()
	case "kill":
		return s.Kill(args[1:]...)
	case "start":
		return s.Start(context.Background(), args[1:]...)
	}
	return s.Stop(args[1:]...)
}
