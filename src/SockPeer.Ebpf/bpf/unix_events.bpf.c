// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Every AF_UNIX stream/seqpacket connect, accept and close, with the process that did it, for
 * `sockpeer watch --source ebpf`: it sees connections that open and close between two polls.
 *
 * Hooks: the connect/accept/accept4/close syscall tracepoints and sched_process_exit. Kernels
 * offer BPF trampolines (fentry/fexit on unix_stream_connect, unix_release) and the BPF LSM, but
 * a locked-down kernel may refuse them (this project's CI kernel returns EPERM for both), while
 * tracepoints load wherever BPF tracing does. The socket behind a descriptor is found through the
 * task's fd table, as the kernel's own fget() would. CO-RE: built once against vmlinux.h and
 * relocated by libbpf against the running kernel's BTF.
 *
 * Cost: these programs run on every connect, accept and close of the host, of files and TCP sockets
 * as well, so what every run does first is kept cheap: the walk from the task to its fd table reads
 * through the task's BTF pointer (plain loads the verifier guards, not a helper call per field), and
 * connect needs no entry program (its descriptor is the syscall's first argument, still in the task's
 * saved registers at exit). From the file on, reads go through bpf_probe_read_kernel: a BTF pointer
 * there would need the bpf_rdonly_cast kfunc (kernel 6.2), and Debian 12's kernel is 6.1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "unix_events.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_UNIX 1
#define SOCK_DGRAM 2
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define MAX_EXIT_FDS 4096

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20); /* user space may resize it before load */
} events SEC(".maps");

/* Events dropped because the ring buffer was full: user space reads and reports it. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sockpeer_config);
} sockpeer_config SEC(".maps");

static __always_inline void count_lost(void)
{
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&lost, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
}

/* The file behind a task's descriptor, or null. <task> is a BTF pointer (the current task, or the exiting one). */
static __always_inline struct file *task_file(struct task_struct *task, __u32 fd)
{
    struct files_struct *files = task->files;
    if (!files)
        return 0;
    struct fdtable *fdt = files->fdt;
    if (!fdt || fd >= fdt->max_fds)
        return 0;
    struct file **fds = fdt->fd;
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

/* The AF_UNIX stream or seqpacket socket behind a file, or null. */
static __always_inline struct socket *unix_stream_socket(struct file *f)
{
    if (!f)
        return 0;
    struct inode *inode = BPF_CORE_READ(f, f_inode);
    if (!inode || (BPF_CORE_READ(inode, i_mode) & 0xF000) != 0xC000 /* S_IFSOCK */)
        return 0;
    struct socket *sock = BPF_CORE_READ(f, private_data);
    if (!sock)
        return 0;
    struct sock *sk = BPF_CORE_READ(sock, sk);
    if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX || BPF_CORE_READ(sk, sk_type) == SOCK_DGRAM)
        return 0;
    return sock;
}

static __always_inline __u32 socket_inode(struct socket *sock)
{
    /* SOCK_INODE(): the socket is embedded in struct socket_alloc beside its vfs inode. */
    struct socket_alloc *alloc = container_of(sock, struct socket_alloc, socket);
    return (__u32)BPF_CORE_READ(alloc, vfs_inode.i_ino);
}

static __always_inline __u32 sock_inode(struct sock *sk)
{
    struct socket *sock = sk ? BPF_CORE_READ(sk, sk_socket) : 0;
    return sock ? socket_inode(sock) : 0;
}

/* Copies sk's name into the event; false when it has none. */
static __always_inline bool copy_name(struct sockpeer_event *e, struct sock *sk)
{
    e->name_len = 0;
    struct unix_address *addr = sk ? BPF_CORE_READ((struct unix_sock *)sk, addr) : 0;
    if (!addr)
        return false;
    __u32 len = (__u32)BPF_CORE_READ(addr, len);
    if (len <= sizeof(short))
        return false; /* only sun_family: unnamed */
    len -= sizeof(short);
    if (len > SOCKPEER_NAME_LEN)
        len = SOCKPEER_NAME_LEN;
    e->name_len = len;
    /* Hide the clamp from the compiler so it keeps the mask the verifier needs to bound the size. */
    asm volatile("" : "+r"(len));
    bpf_probe_read_kernel(e->name, len & (SOCKPEER_NAME_BUF - 1), &addr->name[0].sun_path);
    return true;
}

static __always_inline bool name_passes(const struct sockpeer_event *e, const struct sockpeer_config *f)
{
    if (e->name_len < f->name_len)
        return false;
    for (__u32 i = 0; i < SOCKPEER_NAME_BUF; i++) {
        if (i >= f->name_len)
            return true;
        if (e->name[i] != f->name_prefix[i])
            return false;
    }
    return true;
}

/*
 * The event's name: first's (the listener's for connect and accept, the socket's own for close), else
 * second's (a client's close names the listener it reached). With a filter, whichever of the two
 * passes it; false when neither does.
 */
static __always_inline bool name_event(struct sockpeer_event *e, struct sock *first, struct sock *second, const struct sockpeer_config *f)
{
    bool named = copy_name(e, first);
    if (!f || f->name_len == 0) {
        if (!named)
            copy_name(e, second);
        return true;
    }
    if (named && name_passes(e, f))
        return true;
    return copy_name(e, second) && name_passes(e, f);
}

/*
 * Waking the reader for every event costs an interrupt per event (on a virtual machine, an exit to
 * the hypervisor): measured, that alone made a connect loop 10 % slower. The reader drains on a short
 * timer instead and is woken early only when the ring is a quarter full.
 */
static __always_inline __u64 wakeup_flags(void)
{
    __u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    __u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
    return queued >= size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline int emit(__u32 kind, __u32 fd, struct socket *sock, __u32 reason, struct task_struct *task)
{
    struct sock *sk = BPF_CORE_READ(sock, sk);
    struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
    struct sockpeer_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    /* connect: the server half has no inode until accepted; its name is the listener's. */
    bool connect = kind == SOCKPEER_EVENT_CONNECT;
    __u32 zero = 0;
    struct sockpeer_config *cfg = bpf_map_lookup_elem(&sockpeer_config, &zero);
    if (!name_event(e, connect ? peer : sk, connect ? sk : peer, cfg)) {
        bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
        return 0;
    }
    __u64 id = bpf_get_current_pid_tgid();
    e->time_ns = bpf_ktime_get_ns();
    e->kind = kind;
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->fd = fd;
    e->inode = socket_inode(sock);
    e->peer_inode = connect ? 0 : sock_inode(peer);
    e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
    e->type = BPF_CORE_READ(sk, sk_type);
    e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
    e->reason = reason;
    __u64 key = cfg ? cfg->id_key : 0;
    e->sock_id = (__u64)sk ^ key;
    e->peer_id = peer ? (__u64)peer ^ key : 0;
    /* The process's command, as /proc/PID/comm and the snapshots name it, not the calling thread's
       (a .NET server accepts on a thread called ".NET TP Worker"). */
    struct task_struct *leader = task->group_leader;
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), leader ? leader->comm : task->comm);
    bpf_ringbuf_submit(e, wakeup_flags());
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int sockpeer_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
    if (ctx->ret != 0)
        return 0; /* no connection (AF_UNIX has no EINPROGRESS) */
    struct task_struct *task = bpf_get_current_task_btf();
    /* The descriptor: the syscall's first argument, as the task's registers were saved at entry. */
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    __u32 n = (__u32)PT_REGS_PARM1_CORE_SYSCALL(regs);
    struct socket *sock = unix_stream_socket(task_file(task, n));
    return sock ? emit(SOCKPEER_EVENT_CONNECT, n, sock, 0, task) : 0;
}

static __always_inline int accepted(struct trace_event_raw_sys_exit *ctx)
{
    if (ctx->ret < 0)
        return 0;
    __u32 n = (__u32)ctx->ret;
    struct task_struct *task = bpf_get_current_task_btf();
    struct socket *sock = unix_stream_socket(task_file(task, n));
    return sock ? emit(SOCKPEER_EVENT_ACCEPT, n, sock, 0, task) : 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sockpeer_accept_exit(struct trace_event_raw_sys_exit *ctx) { return accepted(ctx); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int sockpeer_accept4_exit(struct trace_event_raw_sys_exit *ctx) { return accepted(ctx); }

/* Kernels before 6.13 count file references in f_count, from 1. */
struct file___f_count {
    atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* How many references the file has (descriptors in every table that holds it, plus passing ones). */
static __always_inline __s64 references(struct file *f)
{
    if (bpf_core_field_exists(f->f_ref))
        return BPF_CORE_READ(f, f_ref.refcnt.counter) + 1; /* file_ref_t counts one reference as 0 */
    return BPF_CORE_READ((struct file___f_count *)f, f_count.counter);
}

/*
 * close(2) of a socket file that other descriptors also hold. Two processes that share a socket (fork)
 * and close their copies at the same instant each read two references at sys_enter_close, and the
 * second close releases it (on this kernel inside close(2) itself, so sys_exit_close is too late to
 * look). Each shared close therefore first counts itself in flight for the file, then reads the
 * references: the file's references less the closes counted before it that are still in flight are
 * its own when it is the last. Two closes can both find so (the one that counted first reads after the
 * other's release); the first to claim the file reports it, once. The entry lives while a close of the
 * file is in flight.
 */
#define SHARED_CLAIMED (1ULL << 32)

/* Not an LRU map: an LRU may evict an entry still in flight (its CPU's free list ran dry), and the
   close counted in it would be forgotten. Entries go when their last close exits. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);   /* struct file * */
    __type(value, __u64); /* closes of it in flight (low 32 bits), SHARED_CLAIMED once reported */
} shared_closes SEC(".maps");

/* The file whose shared close a thread counted, from sys_enter_close to sys_exit_close. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);   /* pid_tgid */
    __type(value, __u64); /* struct file * */
} counted_close SEC(".maps");

/*
 * A connected or listening socket is reported once, by the close that releases it. Only the first end
 * of a connection to go is reported: the second finds its peer already released (TCP_CLOSE; a peer
 * not yet accepted is TCP_ESTABLISHED, so a client closing before accept is reported).
 */
static __always_inline int report_close(struct socket *sock, __u32 fd, __u32 reason, struct task_struct *task)
{
    struct sock *sk = BPF_CORE_READ(sock, sk);
    struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
    if (peer ? BPF_CORE_READ(peer, __sk_common.skc_state) == TCP_CLOSE : BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_LISTEN)
        return 0;
    return emit(SOCKPEER_EVENT_CLOSE, fd, sock, reason, task);
}

/* Whether this reference is the file's last; a close(2) (<syscall>) counts itself in flight first. */
static __always_inline bool last_reference(struct file *f, bool syscall)
{
    if (references(f) <= 1)
        return true;
    __u64 key = (__u64)f;
    __u64 zero = 0;
    if (syscall)
        bpf_map_update_elem(&shared_closes, &key, &zero, BPF_NOEXIST); /* an exit only reads: it never exits a close */
    __u64 *state = bpf_map_lookup_elem(&shared_closes, &key);
    if (!state && syscall) {
        /* The entry this close found was the other close's, and that close exited (dropping its reference,
           deleting the entry) between the update and the lookup: it read two references and did not
           report, so this one must count itself in a new entry (a missed close, 1 in 600 under load). */
        bpf_map_update_elem(&shared_closes, &key, &zero, BPF_NOEXIST);
        state = bpf_map_lookup_elem(&shared_closes, &key);
    }
    if (!state)
        return false;
    __s64 others;
    if (syscall) {
        others = (__s64)(__sync_fetch_and_add(state, 1) & 0xffffffff);
        __u64 id = bpf_get_current_pid_tgid();
        bpf_map_update_elem(&counted_close, &id, &key, BPF_ANY);
    } else {
        others = (__s64)(*state & 0xffffffff);
    }
    /* Read after counting: a close counted before this one has dropped its reference or will. */
    if (references(f) - others > 1)
        return false;
    return !(__sync_fetch_and_or(state, SHARED_CLAIMED) & SHARED_CLAIMED);
}

static __always_inline int closing(struct task_struct *task, __u32 fd, __u32 reason)
{
    struct file *f = task_file(task, fd);
    struct socket *sock = unix_stream_socket(f);
    if (!sock || !last_reference(f, reason == SOCKPEER_CLOSE_SYSCALL))
        return 0;
    return report_close(sock, fd, reason, task);
}

SEC("tracepoint/syscalls/sys_enter_close")
int sockpeer_close_enter(struct trace_event_raw_sys_enter *ctx)
{
    return closing(bpf_get_current_task_btf(), (__u32)ctx->args[0], SOCKPEER_CLOSE_SYSCALL);
}

/* The close has dropped its reference: no longer in flight; the file's entry goes with the last. */
SEC("tracepoint/syscalls/sys_exit_close")
int sockpeer_close_exit(struct trace_event_raw_sys_exit *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u64 *counted = bpf_map_lookup_elem(&counted_close, &id);
    if (!counted)
        return 0;
    __u64 key = *counted;
    bpf_map_delete_elem(&counted_close, &id);
    __u64 *state = bpf_map_lookup_elem(&shared_closes, &key);
    if (state && (__sync_fetch_and_sub(state, 1) & 0xffffffff) == 1)
        bpf_map_delete_elem(&shared_closes, &key);
    return 0;
}

struct exit_walk {
    struct task_struct *task;
    struct file **fds;
    __u32 max;
};

static long exit_fd(__u32 i, struct exit_walk *w)
{
    if (i >= w->max)
        return 1;
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof(f), &w->fds[i]);
    if (f)
        closing(w->task, i, SOCKPEER_CLOSE_EXIT);
    return 0;
}

/* A process that exits closes its descriptors without close(2): walk its fd table once, when the
   last thread sharing it goes. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sockpeer_exit, struct task_struct *task)
{
    struct files_struct *files = BPF_CORE_READ(task, files);
    if (!files || BPF_CORE_READ(files, count.counter) > 1)
        return 0;
    struct fdtable *fdt = BPF_CORE_READ(files, fdt);
    struct exit_walk w = { .task = task, .fds = BPF_CORE_READ(fdt, fd), .max = BPF_CORE_READ(fdt, max_fds) };
    bpf_loop(MAX_EXIT_FDS, exit_fd, &w, 0);
    return 0;
}
