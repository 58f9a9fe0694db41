/*
 * popgen — builds an AF_UNIX socket population for bench/run.py.
 *
 *   popgen --dir DIR --procs N --pairs P --conns C [--shared S]
 *
 * The calling process becomes the "server":
 *   1. it listens on the pathname socket DIR/server.sock,
 *   2. creates S socketpairs (population B: every child inherits both ends),
 *   3. forks N children; each child creates P socketpairs of its own and then
 *      C connections to the server (connections are created last, so the
 *      highest-numbered socket fds of a child are its server connections),
 *   4. accepts all N*C connections and keeps every accepted end open,
 *   5. once every connection is accepted and every child reported success it
 *      writes exactly "ready\n" to stdout.
 *
 * Teardown happens when stdin reaches EOF (the harness closed its end or
 * died) or on SIGTERM/SIGINT/SIGHUP: the server SIGKILLs and reaps every
 * child, unlinks the socket (and DIR, if then empty) and exits 0.  Children
 * also die on their own if the server vanishes (PR_SET_PDEATHSIG plus EOF on
 * a "lifeline" pipe), so nothing outlives even a SIGKILLed server.
 *
 * Errors (fd limit, fork, socket...) are reported on stderr; exit status 2
 * means bad usage, 3 means the population could not be built.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static pid_t *children;
static long nchildren;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static const char *sock_dir;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

/* Kill and reap every child, remove the socket file, exit. */
static void teardown(int status)
{
    for (long i = 0; i < nchildren; i++)
        kill(children[i], SIGKILL);
    for (long i = 0; i < nchildren; i++)
        while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
            ;
    if (sock_path[0]) {
        unlink(sock_path);
        rmdir(sock_dir); /* only succeeds if empty: never removes anything else */
    }
    exit(status);
}

static void fail(const char *what)
{
    fprintf(stderr, "popgen: %s: %s\n", what, strerror(errno));
    teardown(3);
}

static long parse_count(const char *s, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 10000000) {
        fprintf(stderr, "popgen: bad %s: %s\n", name, s);
        exit(2);
    }
    return v;
}

/*
 * Make sure every process of the population can hold `need` fds: soft limit
 * goes to the hard limit, and the hard limit itself is raised when needed
 * (possible as root, up to fs.nr_open, which the harness raises beforehand).
 */
static void raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        fail("getrlimit(RLIMIT_NOFILE)");
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
        struct rlimit want = { (rlim_t)need, (rlim_t)need };
        if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
            fprintf(stderr,
                    "popgen: need %ld fds per process but RLIMIT_NOFILE hard "
                    "limit is %llu and cannot be raised (%s; root and "
                    "fs.nr_open >= %ld are required)\n",
                    need, (unsigned long long)rl.rlim_max, strerror(errno), need);
            exit(3);
        }
        return;
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        fail("setrlimit(RLIMIT_NOFILE)");
}

/* Body of one child: build its sockets, report, then block until told to go. */
static void child_main(pid_t server, int listen_fd, int ready_w, int lifeline_r,
                       long pairs, long conns)
{
    /* Die with the server even if it is SIGKILLed. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != server)
        _exit(0);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    close(listen_fd); /* keep only the sockets the population is meant to have */

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    memcpy(addr.sun_path, sock_path, sizeof addr.sun_path);
    char status = 'R';
    for (long i = 0; i < pairs && status == 'R'; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            fprintf(stderr, "popgen child %d: socketpair: %s\n", getpid(), strerror(errno));
            status = 'E';
        }
    }
    for (long i = 0; i < conns && status == 'R'; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        /* Blocks while the server's backlog is full; fine, it accepts later. */
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            fprintf(stderr, "popgen child %d: connect: %s\n", getpid(), strerror(errno));
            status = 'E';
        }
    }
    /* One byte per child; pipe writes of one byte are atomic. */
    while (write(ready_w, &status, 1) < 0 && errno == EINTR)
        ;
    if (status != 'R')
        _exit(1);
    close(ready_w);

    /* The server holds the only write end: EOF means the server is gone. */
    char c;
    for (;;) {
        ssize_t n = read(lifeline_r, &c, 1);
        if (n == 0 || (n < 0 && errno != EINTR))
            _exit(0);
    }
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    long procs = -1, pairs = 0, conns = 0, shared = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "popgen: option %s needs a value\n", argv[i]);
            return 2;
        }
        const char *opt = argv[i], *val = argv[++i];
        if (!strcmp(opt, "--dir")) dir = val;
        else if (!strcmp(opt, "--procs")) procs = parse_count(val, opt);
        else if (!strcmp(opt, "--pairs")) pairs = parse_count(val, opt);
        else if (!strcmp(opt, "--conns")) conns = parse_count(val, opt);
        else if (!strcmp(opt, "--shared")) shared = parse_count(val, opt);
        else {
            fprintf(stderr, "popgen: unknown option %s\n", opt);
            return 2;
        }
    }
    if (!dir || procs < 0) {
        fprintf(stderr, "usage: popgen --dir DIR --procs N --pairs P --conns C [--shared S]\n");
        return 2;
    }
    sock_dir = dir;
    if ((size_t)snprintf(sock_path, sizeof sock_path, "%s/server.sock", dir) >= sizeof sock_path) {
        fprintf(stderr, "popgen: socket path too long for sun_path: %s/server.sock\n", dir);
        return 2;
    }

    /* fds the busiest process holds: 3 stdio + 4 pipe ends + listener,
       plus the server's accepted ends or a child's own sockets. */
    long server_need = 8 + 2 * shared + procs * conns;
    long child_need = 8 + 2 * shared + 2 * pairs + conns;
    raise_nofile((server_need > child_need ? server_need : child_need) + 64);

    /* No SA_RESTART: a signal must interrupt poll() so we can tear down. */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    children = calloc(procs ? procs : 1, sizeof *children);
    if (!children)
        fail("calloc");

    int listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listen_fd < 0)
        fail("socket");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    memcpy(addr.sun_path, sock_path, sizeof addr.sun_path);
    unlink(sock_path);
    if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        sock_path[0] = '\0'; /* not ours: do not unlink it on teardown */
        errno = e;
        fail("bind");
    }
    if (listen(listen_fd, 4096) < 0) /* the kernel caps this at somaxconn */
        fail("listen");

    for (long i = 0; i < shared; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            fail("socketpair (shared)");
    }

    int ready[2], lifeline[2];
    if (pipe(ready) < 0 || pipe(lifeline) < 0)
        fail("pipe");

    pid_t self = getpid();
    for (long i = 0; i < procs; i++) {
        if (stop_requested)
            teardown(0);
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            close(ready[0]);
            close(lifeline[1]);
            child_main(self, listen_fd, ready[1], lifeline[0], pairs, conns);
        }
        children[nchildren++] = pid;
    }
    /* Only children keep the write end of `ready`, so EOF = all children gone. */
    close(ready[1]);
    close(lifeline[0]);

    /* Accept every connection and collect one status byte per child, while
       watching stdin and signals so the harness can abort at any time. */
    if (fcntl(listen_fd, F_SETFL, O_NONBLOCK) < 0)
        fail("fcntl");
    long accepted = 0, reported = 0, want = procs * conns;
    int stdin_open = 1;
    while (accepted < want || reported < procs) {
        struct pollfd pfd[3] = {
            { .fd = listen_fd, .events = accepted < want ? POLLIN : 0 },
            /* Not polled once every child reported: the children then close their
               ends, and poll() reports POLLHUP whatever the events asked for, which
               read as "exited before reporting" while connections were still being
               accepted (a false failure when the accepts lag the children). */
            { .fd = reported < procs ? ready[0] : -1, .events = POLLIN },
            { .fd = stdin_open ? 0 : -1, .events = POLLIN },
        };
        if (poll(pfd, 3, -1) < 0 && errno != EINTR)
            fail("poll");
        if (stop_requested)
            teardown(0);
        if (pfd[2].revents) {
            char buf[256];
            ssize_t n = read(0, buf, sizeof buf);
            if (n == 0)
                teardown(0);
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                stdin_open = 0; /* not a readable stdin: rely on signals only */
        }
        while (accepted < want) {
            int fd = accept(listen_fd, NULL, NULL);
            if (fd >= 0) {
                accepted++;
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            fail("accept");
        }
        if (reported < procs && pfd[1].revents) {
            char buf[512];
            ssize_t n = read(ready[0], buf, sizeof buf);
            if (n == 0) {
                fprintf(stderr, "popgen: children exited before reporting ready\n");
                teardown(3);
            }
            for (ssize_t k = 0; k < n; k++) {
                if (buf[k] != 'R') {
                    fprintf(stderr, "popgen: a child could not build its sockets\n");
                    teardown(3);
                }
                reported++;
            }
        }
    }
    close(ready[0]);

    fprintf(stderr, "popgen: %ld processes, %ld accepted connections, %ld shared pairs\n",
            procs, accepted, shared);
    if (printf("ready\n") < 0 || fflush(stdout) != 0)
        teardown(3);

    /* Hold everything open until stdin closes or a signal arrives. */
    while (!stop_requested && stdin_open) {
        struct pollfd p = { .fd = 0, .events = POLLIN };
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            fail("poll");
        }
        char buf[256];
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0)
            teardown(0);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            stdin_open = 0;
    }
    /* stdin closed or unreadable (not EOF): only a signal can end us now. */
    while (!stop_requested)
        poll(NULL, 0, 1000); /* timed, so a signal landing just before is not lost */
    teardown(0);
}
