/*
 * hook_cost — what an eBPF hook costs every task on this kernel, in nanoseconds of CPU per operation
 * (issue 22: may `cgroup/connect_unix` replace the connect syscall tracepoints?).
 *
 *   hook_cost [ROUNDS [OPS]]        (root; defaults 7 rounds of 200,000 operations)
 *
 * Loops, each timed with CLOCK_THREAD_CPUTIME_ID (the caller's own CPU, user and kernel, so other
 * load on the machine changes it far less than wall time):
 *   getppid   a syscall no hook is about (what every other task on the host pays);
 *   connect   socket() + connect() + close() of an AF_UNIX stream socket to a listener whose
 *             accepting process (forked, not timed) accepts and closes each connection.
 * Conditions, rotated every round, the loops run under each:
 *   none           nothing attached by this program;
 *   cgroup         a trivial `cgroup/connect_unix` program (returns 1: allow) linked to the cgroup v2
 *                  root (/sys/fs/cgroup/unified here): runs on every AF_UNIX connect of the host;
 *   tp_connect     a trivial program on the syscall tracepoint sys_enter_connect;
 *   tp_close       a trivial program on sys_enter_close (what accept/close would still need);
 *   cgroup+tp_close  connect from the cgroup hook, close from a syscall tracepoint.
 * The programs are two instructions (r0 = 1 or 0; exit) made with bpf(2) directly: what is measured
 * is the hook's own cost (entering the program, and for syscall tracepoints the slow syscall path that
 * SYSCALL_WORK_SYSCALL_TRACEPOINT puts every task on), not a program's body.
 * Everything is attached through a file descriptor (a bpf link, a perf event) and detached by closing
 * it, after each condition; the kernel also detaches them if this process dies. Prints a Markdown table
 * of medians (ns per op) and every round's values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup/unified"
#define PROG_TYPE_CGROUP_SOCK_ADDR 18
#define PROG_TYPE_TRACEPOINT 5
#define ATTACH_CGROUP_UNIX_CONNECT 49 /* BPF_CGROUP_UNIX_CONNECT (6.7+; newer than this system's headers) */
#define CMD_LINK_CREATE 28

enum { NONE, CGROUP, TP_CONNECT, TP_CLOSE, CGROUP_TP_CLOSE, CONDITIONS };
static const char *names[CONDITIONS] = { "none", "cgroup", "tp_connect", "tp_close", "cgroup+tp_close" };

static long bpf(int cmd, void *attr, unsigned size) { return syscall(SYS_bpf, cmd, attr, size); }

static int load(uint32_t type, uint32_t expected_attach, int ret)
{
    struct bpf_insn insns[2] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
        { .code = BPF_JMP | BPF_EXIT },
    };
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = type;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = 2;
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.expected_attach_type = expected_attach;
    int fd = bpf(BPF_PROG_LOAD, &a, sizeof(a));
    if (fd < 0) {
        perror("hook_cost: BPF_PROG_LOAD");
        exit(1);
    }
    return fd;
}

/* A bpf link of the program to the cgroup v2 root: detached when the returned fd is closed. */
static int attach_cgroup(int prog)
{
    int cg = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
        perror("hook_cost: " CGROUP_ROOT);
        exit(1);
    }
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.link_create.prog_fd = prog;
    a.link_create.target_fd = cg;
    a.link_create.attach_type = ATTACH_CGROUP_UNIX_CONNECT;
    int link = bpf(CMD_LINK_CREATE, &a, sizeof(a));
    if (link < 0) {
        perror("hook_cost: BPF_LINK_CREATE cgroup/connect_unix");
        exit(1);
    }
    close(cg);
    return link;
}

/* A perf event on the syscall tracepoint running the program: detached when the fd is closed. */
static int attach_tracepoint(int prog, const char *event)
{
    char path[256], id[32] = { 0 };
    snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s/id", event);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0 || read(f, id, sizeof(id) - 1) <= 0) {
        perror(path);
        exit(1);
    }
    close(f);
    struct perf_event_attr pa;
    memset(&pa, 0, sizeof(pa));
    pa.type = PERF_TYPE_TRACEPOINT;
    pa.size = sizeof(pa);
    pa.config = strtoull(id, 0, 10);
    pa.sample_period = 1;
    pa.wakeup_events = 1;
    int pfd = syscall(SYS_perf_event_open, &pa, -1 /* every task */, 0 /* cpu 0; the program runs on any */, -1, PERF_FLAG_FD_CLOEXEC);
    if (pfd < 0) {
        perror("hook_cost: perf_event_open");
        exit(1);
    }
    if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) != 0 || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
        perror("hook_cost: PERF_EVENT_IOC_SET_BPF");
        exit(1);
    }
    return pfd;
}

static double thread_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static struct sockaddr_un addr = { .sun_family = AF_UNIX };

static double loop_getppid(long ops)
{
    double t0 = thread_ns();
    for (long i = 0; i < ops; i++)
        syscall(SYS_getppid);
    return (thread_ns() - t0) / ops;
}

static double loop_connect(long ops)
{
    double t0 = thread_ns();
    for (long i = 0; i < ops; i++) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        while (connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
            if (errno != EAGAIN) {
                perror("hook_cost: connect");
                exit(1);
            }
            usleep(100); /* the acceptor is behind (backlog full): not timed much, it is sleep */
        }
        close(s);
    }
    return (thread_ns() - t0) / ops;
}

/* BPF programs of other processes on syscall tracepoints: while there is one, every task is on the slow
   path already, and "none" is not none. Counted from `bpftool perf list` at each round. */
static int foreign_tracepoints(void)
{
    FILE *p = popen("bpftool perf list 2>/dev/null", "r");
    if (!p)
        return -1;
    char line[512];
    int n = 0;
    char self[32];
    snprintf(self, sizeof(self), "pid %d ", (int)getpid());
    while (fgets(line, sizeof(line), p))
        if ((strstr(line, "sys_enter") || strstr(line, "sys_exit")) && strncmp(line, self, strlen(self)) != 0)
            n++;
    pclose(p);
    return n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    long ops = argc > 2 ? atol(argv[2]) : 200000;
    if (rounds < 1 || rounds > 100 || ops < 1) {
        fprintf(stderr, "usage: hook_cost [ROUNDS [OPS]]\n");
        return 2;
    }
    char dir[] = "/tmp/hook-cost-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/s.sock", dir);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(l, 4096) != 0) {
        perror("hook_cost: listen");
        return 1;
    }
    pid_t acceptor = fork();
    if (acceptor == 0) {
        for (;;) {
            int c = accept(l, 0, 0);
            if (c >= 0)
                close(c);
        }
    }
    close(l);
    int cg_prog = load(PROG_TYPE_CGROUP_SOCK_ADDR, ATTACH_CGROUP_UNIX_CONNECT, 1);
    int tp_prog = load(PROG_TYPE_TRACEPOINT, 0, 0);
    double res[2][CONDITIONS][100];
    loop_getppid(ops); /* warm-up */
    loop_connect(ops / 10);
    int busy = 0;
    for (int r = 0; r < rounds; r++) {
        busy += foreign_tracepoints() > 0;
        for (int k = 0; k < CONDITIONS; k++) {
            int c = (k + r) % CONDITIONS;
            int fds[2] = { -1, -1 };
            if (c == CGROUP || c == CGROUP_TP_CLOSE)
                fds[0] = attach_cgroup(cg_prog);
            if (c == TP_CONNECT)
                fds[1] = attach_tracepoint(tp_prog, "sys_enter_connect");
            if (c == TP_CLOSE || c == CGROUP_TP_CLOSE)
                fds[1] = attach_tracepoint(tp_prog, "sys_enter_close");
            res[0][c][r] = loop_getppid(ops);
            res[1][c][r] = loop_connect(ops / 4);
            for (int i = 0; i < 2; i++)
                if (fds[i] >= 0)
                    close(fds[i]);
        }
    }
    kill(acceptor, SIGKILL);
    waitpid(acceptor, 0, 0);
    unlink(addr.sun_path);
    rmdir(dir);
    const char *loops[2] = { "getppid", "socket+connect+close" };
    printf("%d rounds; %ld getppid, %ld connects per round and condition; ns of the caller's CPU per op (median; +x: more than none); "
           "other processes' BPF programs on syscall tracepoints at the start of %d of %d rounds\n\n", rounds, ops, ops / 4, busy, rounds);
    printf("| loop |");
    for (int c = 0; c < CONDITIONS; c++)
        printf(" %s |", names[c]);
    printf(" runs |\n|---|");
    for (int c = 0; c < CONDITIONS; c++)
        printf("---:|");
    printf("---|\n");
    for (int w = 0; w < 2; w++) {
        double med[CONDITIONS];
        for (int c = 0; c < CONDITIONS; c++) {
            double sorted[100];
            memcpy(sorted, res[w][c], sizeof(double) * rounds);
            qsort(sorted, rounds, sizeof(double), cmp);
            med[c] = rounds % 2 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
        }
        printf("| %s |", loops[w]);
        for (int c = 0; c < CONDITIONS; c++)
            c == NONE ? printf(" %.0f |", med[c]) : printf(" %.0f (%+.0f) |", med[c], med[c] - med[NONE]);
        printf(" ");
        for (int c = 0; c < CONDITIONS; c++) {
            printf("%s:", names[c]);
            for (int r = 0; r < rounds; r++)
                printf(" %.0f", res[w][c][r]);
            printf(c + 1 < CONDITIONS ? "; " : " |\n");
        }
    }
    return 0;
}
