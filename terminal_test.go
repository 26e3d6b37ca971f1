//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of 30 rows and 100 columns: its master
// side, which nothing answers unless the test does, and its terminal side
// for isodiff.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var n int
	rc, err := m.SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) {
			if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
				n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
			}
		})
	}
	if err != nil {
		t.Skipf("pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// terminalRun is isodiff running on a pseudo-terminal as its controlling
// terminal (standard input and output; standard error apart), in the
// foreground, as in a shell.
type terminalRun struct {
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	screen bytes.Buffer // what isodiff wrote to the terminal
	done   chan struct{}
	start  time.Time
	took   time.Duration
	status int
	stderr bytes.Buffer
}

func startOnTerminal(t *testing.T, bin string, env []string, args ...string) *terminalRun {
	t.Helper()
	m, tty := openPTY(t)
	r := &terminalRun{cmd: exec.Command(bin, args...), master: m, done: make(chan struct{})}
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = tty, tty, &r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			r.mu.Lock()
			r.screen.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		err := r.cmd.Wait()
		r.took = time.Since(r.start)
		r.status = r.cmd.ProcessState.ExitCode()
		if err != nil && r.status < 0 {
			r.status = -1
		}
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// wait waits for isodiff to end, at most limit; false if it had not.
func (r *terminalRun) wait(limit time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(limit):
		r.cmd.Process.Kill()
		<-r.done
		return false
	}
}

// tail is the end of what isodiff wrote, for a message.
func (r *terminalRun) tail() string {
	s := r.written()
	return fmt.Sprintf("%q", s[max(0, len(s)-400):])
}

func (r *terminalRun) written() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.screen.String()
}

// waitFor waits until isodiff has written s to the terminal, at most
// limit.
func (r *terminalRun) waitFor(s string, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if strings.Contains(r.written(), s) {
			return true
		}
	}
	return false
}

// backgroundQuery is the OSC 11 query of the terminal's background colour
// (what termenv sends ends in ST, the view's in BEL).
const backgroundQuery = "\x1b]11;?"

// TestReportNeverAsksTheTerminal: a report written to a terminal that
// answers nothing (as script(1) with nothing behind it, or a CI
// pseudo-terminal) neither asks it anything nor waits for it, with or
// without colour.
func TestReportNeverAsksTheTerminal(t *testing.T) {
	bin := buildBinary(t)
	a, b := fixture(t, "base-a.iso"), fixture(t, "text-b.iso")
	for _, env := range [][]string{{"NO_COLOR=1", "TERM=xterm"}, {"TERM=xterm-256color"}} {
		t.Run(strings.Join(env, " "), func(t *testing.T) {
			r := startOnTerminal(t, bin, env, "--text", "-", a, b)
			if !r.wait(20 * time.Second) {
				t.Fatalf("the report did not end in 20 s; it wrote %s", r.tail())
			}
			t.Logf("report on a silent terminal: %v", r.took)
			if r.status != 1 {
				t.Errorf("exit status %d, want 1; stderr %q", r.status, r.stderr.String())
			}
			// Reading the rest of the report from the master side takes a
			// moment after the process ends.
			if !r.waitFor("isodiff report", 5*time.Second) {
				t.Errorf("no report on the terminal: %s", r.tail())
			}
			if strings.Contains(r.written(), backgroundQuery) {
				t.Error("the report asked the terminal for its background colour")
			}
			// Five seconds is termenv's wait for an answer; a report of
			// two small images takes a few milliseconds.
			if r.took > 2*time.Second {
				t.Errorf("the report took %v on a terminal that does not answer", r.took)
			}
		})
	}
}

// TestViewKeepsFirstKeys: a key typed as the view starts, before it has
// taken the terminal, is not lost; the view asks the terminal for its
// background once, waits for no answer, and reads a late answer as an
// answer, not as keys.
func TestViewKeepsFirstKeys(t *testing.T) {
	bin := buildBinary(t)
	a, b := fixture(t, "base-a.iso"), fixture(t, "text-b.iso")

	t.Run("q at once, no answer", func(t *testing.T) {
		r := startOnTerminal(t, bin, []string{"TERM=xterm-256color"}, a, b)
		r.master.Write([]byte("q"))
		if !r.wait(10 * time.Second) {
			t.Fatalf("the view did not quit on the q typed as it started; it wrote %s", r.tail())
		}
		t.Logf("view quit after %v", r.took)
		if n := strings.Count(r.written(), backgroundQuery); n > 1 {
			t.Errorf("the terminal was asked for its background %d times", n)
		}
	})

	t.Run("answer, then q", func(t *testing.T) {
		r := startOnTerminal(t, bin, []string{"TERM=xterm-256color"}, a, b)
		if !r.waitFor(backgroundQuery, 10*time.Second) {
			t.Fatalf("the view did not ask for the background; it wrote %s", r.tail())
		}
		// The answer of a light terminal, then a key: were the answer
		// read as keys, "1" and ";" and the letters would move about, and
		// "]" is no key of the view; q must still quit.
		r.master.Write([]byte("\x1b]11;rgb:ffff/ffff/f0f0\x1b\\"))
		time.Sleep(50 * time.Millisecond)
		r.master.Write([]byte("q"))
		if !r.wait(10 * time.Second) {
			t.Fatalf("the view did not quit; it wrote %s", r.tail())
		}
		if n := strings.Count(r.written(), backgroundQuery); n != 1 {
			t.Errorf("the terminal was asked for its background %d times, want once", n)
		}
	})
}
