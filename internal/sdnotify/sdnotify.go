// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): one
// datagram of newline-separated assignments to the unix socket named by
// $NOTIFY_SOCKET. Without that variable (not under systemd, or not
// Type=notify) every call is a no-op.
package sdnotify

import (
	"errors"
	"net"
	"os"
	"strconv"
	"time"
)

// Messages consultd sends.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notify sends state to systemd; sent is false when there is no socket.
func Notify(state string) (sent bool, err error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	// "@name" is a socket in the abstract namespace, written with a leading NUL.
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// WatchdogInterval is WatchdogSec from $WATCHDOG_USEC when it is meant for
// this process ($WATCHDOG_PID, if set, is our pid); 0 when off.
func WatchdogInterval() (time.Duration, error) {
	usec := os.Getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("WATCHDOG_USEC=" + usec + " is not a positive number of microseconds")
	}
	return time.Duration(n) * time.Microsecond, nil
}
