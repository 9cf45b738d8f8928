package devstack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a process of the stack, tracked by a pid file in the run folder.
type proc struct {
	name    string // part name, also the pid and log file name
	match   string // what its /proc cmdline must contain to count as ours
	pidFile string
	logFile string
}

// pid returns the live pid of the part, or 0 if it is not running. A pid
// file whose process is gone, or is now some other program, counts as not
// running: we never signal a process we did not start.
func (p *proc) pid() int {
	b, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), p.match) {
		return 0
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && isZombie(stat) {
		return 0
	}
	return pid
}

func isZombie(stat []byte) bool {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// started reports when the part was started (the pid file's time).
func (p *proc) started() time.Time {
	st, err := os.Stat(p.pidFile)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// start runs the command in its own session, logging to the part's log file.
// exited is closed when the process ends, so a wait can stop early.
func (p *proc) start(cmd *exec.Cmd) (exited <-chan struct{}, err error) {
	if err := os.MkdirAll(filepath.Dir(p.logFile), 0o755); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	if err := os.WriteFile(p.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return done, nil
}

// stop sends SIGTERM to the part's process group, waits up to grace, then
// kills it (at once when grace is 0).
func (p *proc) stop(grace time.Duration) error {
	pid := p.pid()
	if pid == 0 {
		_ = os.Remove(p.pidFile)
		return nil
	}
	if grace > 0 {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		if p.gone(grace) {
			return os.Remove(p.pidFile)
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if !p.gone(5 * time.Second) {
		return errors.New(p.name + " did not stop")
	}
	return os.Remove(p.pidFile)
}

// gone waits up to within for the part's process to end.
func (p *proc) gone(within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p.pid() == 0 {
			return true
		}
	}
	return p.pid() == 0
}

// signal sends sig to the part's process, if it runs.
func (p *proc) signal(sig syscall.Signal) error {
	if pid := p.pid(); pid != 0 {
		return syscall.Kill(pid, sig)
	}
	return nil
}
