/*
 * measure — run one command and report its wall time and rusage.
 *
 *   measure TIMEOUT_SECONDS PROGRAM [ARGS...]
 *
 * Writes one line to fd 3:
 *   "wall_ns <n> status <wait status> timedout <0|1> utime_us <n> stime_us <n> maxrss_kib <n>"
 * stdin/stdout/stderr are passed through to PROGRAM unchanged.
 *
 * Why not wait4() straight from Python: on execve() Linux folds the
 * *pre-exec* address space's RSS high-water mark into the new program's
 * ru_maxrss (fs/exec.c: setmax_mm_hiwater_rss).  A child spawned by Python
 * starts from Python's address space (vfork shares it, fork copies it), so
 * every tool would report at least Python's RSS (~18 MiB).  Spawning from
 * this small process keeps that floor at ~1 MiB.  Timing here also keeps
 * interpreter overhead out of the wall time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    kill(child, SIGKILL);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: measure TIMEOUT_SECONDS PROGRAM [ARGS...]\n");
        return 2;
    }
    unsigned timeout = (unsigned)strtoul(argv[1], NULL, 10);
    /* The result fd must not leak into the measured program. */
    if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
        fprintf(stderr, "measure: fd 3 (result) is not open\n");
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_alarm };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    int exec_errno = 0; /* written by the vfork child, which shares our memory */
    long long t0 = now_ns();
    pid_t pid = vfork();
    if (pid == 0) {
        /* Die with us if the harness kills us (survives execve). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execv(argv[2], argv + 2);
        exec_errno = errno;
        _exit(127);
    }
    if (pid < 0) {
        perror("measure: vfork");
        return 2;
    }
    child = pid;
    if (timeout)
        alarm(timeout);
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 2;
        }
    }
    long long wall = now_ns() - t0;
    alarm(0);
    if (exec_errno) {
        fprintf(stderr, "measure: cannot execute %s: %s\n", argv[2], strerror(exec_errno));
        return 2;
    }
    dprintf(3, "wall_ns %lld status %d timedout %d utime_us %lld stime_us %lld maxrss_kib %ld\n",
            wall, status, (int)timed_out,
            ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
            ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec,
            ru.ru_maxrss);
    return 0;
}
