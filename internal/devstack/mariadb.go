package devstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func (s *Stack) mariadbDir() string { return filepath.Join(s.run, "mariadb") }

// mariadbSocket is the server's socket. Unix socket paths are limited to
// about 100 bytes, so a deep run folder gets one in the temp folder.
func (s *Stack) mariadbSocket() string {
	sock := filepath.Join(s.mariadbDir(), "mysqld.sock")
	if len(sock) < 100 {
		return sock
	}
	sum := sha256.Sum256([]byte(sock))
	return filepath.Join(os.TempDir(), "boxoffice-"+hex.EncodeToString(sum[:6])+".sock")
}

// mariadbCommand initialises the data folder once, then runs the server on
// its own port and socket, never touching a system MariaDB.
func (s *Stack) mariadbCommand() (*exec.Cmd, error) {
	data := filepath.Join(s.mariadbDir(), "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); os.IsNotExist(err) {
		if err := s.mariadbInit(data); err != nil {
			return nil, err
		}
	}
	host, port, _ := net.SplitHostPort(s.cfg.MySQLAddr)
	return s.cmd("mariadbd", "--no-defaults", "--user="+osUser(),
		"--datadir="+data, "--socket="+s.mariadbSocket(), "--pid-file="+filepath.Join(s.mariadbDir(), "mariadbd.pid"),
		"--bind-address="+host, "--port="+port, "--skip-name-resolve",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
		"--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2",
		"--max-connections=500"), nil
}

func (s *Stack) mariadbInit(data string) error {
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	out, err := s.cmd("mariadb-install-db", "--no-defaults", "--user="+osUser(), "--datadir="+data,
		"--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput()
	if err != nil {
		os.RemoveAll(data)
		return fmt.Errorf("mariadb-install-db: %v: %s", err, lastLines(out, 10))
	}
	return nil
}

// mariadbBootstrap makes the database and its user; it is idempotent and
// resets the password to the one in the secrets file.
func (s *Stack) mariadbBootstrap(ctx context.Context) error {
	c := s.cfg
	user, pw := sqlString(c.MySQLUser), sqlString(c.MySQLPassword)
	stmts := []string{
		"DELETE FROM mysql.global_priv WHERE User=''", // anonymous accounts
		"FLUSH PRIVILEGES",
		fmt.Sprintf("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", user, pw),
		fmt.Sprintf("ALTER USER %s@'%%' IDENTIFIED BY %s", user, pw),
		// Tests make throwaway databases named after the main one.
		fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s%%`.* TO %s@'%%'", c.MySQLDatabase, user),
		fmt.Sprintf("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", c.MySQLDatabase),
	}
	cmd := exec.CommandContext(ctx, "mariadb", "--no-defaults", "--socket="+s.mariadbSocket(), "-u", osUser())
	cmd.Stdin = strings.NewReader(strings.Join(stmts, ";\n") + ";\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create database and user: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// sqlString quotes s as a SQL string literal (used only by the bootstrap,
// which the mariadb client runs as a script).
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
