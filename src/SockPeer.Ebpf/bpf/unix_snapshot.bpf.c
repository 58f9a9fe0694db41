// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The bpf collector's snapshot: two BPF iterators read with read(2), no tracing attached.
 *
 * iter/unix (one network namespace: the one of the thread that creates the iterator) writes every
 * AF_UNIX socket that has an inode, with the facts sock_diag's dump gives (unix_diag.c:
 * sk_diag_fill): type, state, name, the socket file's inode and device, the peer's inode, the
 * queues, shutdown and owner; and each listener's accept queue in order (UNIX_DIAG_ICONS).
 * Sockets without an inode (a connection waiting to be accepted, before accept gives it a file)
 * are skipped, as sock_diag skips them.
 *
 * iter/task_file (every process of the opener's pid namespace, whatever its network namespace)
 * writes each socket fd and each network-namespace fd: what the /proc/PID/fd walk finds.
 *
 * CO-RE: built once against vmlinux.h and relocated by libbpf against the running kernel's BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "unix_snapshot.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define NSFS_MAGIC 0x6e736673
#define CLONE_NEWNET 0x40000000
#define SOCK_STREAM 1
#define SOCK_SEQPACKET 5
#define TCP_LISTEN 10

/* The record being built: too big for the 512-byte stack once the name is in it. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sockpeer_rec_socket);
} scratch SEC(".maps");

/* What the kernel's SOCK_INODE(sock)->i_ino is: the socket inode of a struct socket. */
static __always_inline __u32 socket_inode(struct socket *sock)
{
    if (!sock)
        return 0;
    struct socket_alloc *alloc = container_of(sock, struct socket_alloc, socket);
    return (__u32)BPF_CORE_READ(alloc, vfs_inode.i_ino);
}

static __always_inline __u32 sock_inode(struct sock *sk)
{
    if (!sk)
        return 0;
    return socket_inode(BPF_CORE_READ(sk, sk_socket));
}

struct queue_walk {
    struct sk_buff *head;   /* the list head, cast: the walk ends when it comes back to it */
    struct sk_buff *skb;
    struct seq_file *seq;
    __u32 listener;
    __u64 bytes;
    int done;
};

/* One client waiting in a listener's accept queue: the skb's sk is the embryo, its peer the client. */
static long emit_waiting(__u64 index, struct queue_walk *w)
{
    struct sk_buff *skb = w->skb;
    if (!skb || skb == w->head) {
        w->done = 1;
        return 1;
    }
    struct sock *embryo = BPF_CORE_READ(skb, sk);
    struct unix_sock *eu = (struct unix_sock *)embryo;
    struct sock *client = BPF_CORE_READ(eu, peer);
    struct sockpeer_rec_waiting rec = {
        .h = { .kind = SOCKPEER_REC_WAITING, .length = sizeof(rec) },
        .listener = w->listener,
        .client = sock_inode(client),
    };
    bpf_seq_write(w->seq, &rec, sizeof(rec));
    w->skb = BPF_CORE_READ(skb, next);
    return 0;
}

/* unix_skb_len(): what is left to read of one skb. */
static long add_skb_len(__u64 index, struct queue_walk *w)
{
    struct sk_buff *skb = w->skb;
    if (!skb || skb == w->head) {
        w->done = 1;
        return 1;
    }
    struct unix_skb_parms *cb = (struct unix_skb_parms *)&skb->cb;
    __u32 len = BPF_CORE_READ(skb, len);
    __u32 consumed = 0;
    bpf_probe_read_kernel(&consumed, sizeof(consumed), (void *)cb + bpf_core_field_offset(struct unix_skb_parms, consumed));
    w->bytes += len - consumed;
    w->skb = BPF_CORE_READ(skb, next);
    return 0;
}

SEC("iter/unix")
int sockpeer_unix(struct bpf_iter__unix *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    struct unix_sock *u = ctx->unix_sk;
    if (!u)
        return 0;
    struct sock *sk = &u->sk;
    __u32 inode = sock_inode(sk);
    if (!inode)
        return 0; /* an embryo: sock_diag skips it too */

    __u32 zero = 0;
    struct sockpeer_rec_socket *r = bpf_map_lookup_elem(&scratch, &zero);
    if (!r)
        return 0;
    r->h.kind = SOCKPEER_REC_SOCKET;
    r->inode = inode;
    r->cookie = bpf_get_socket_cookie(sk);
    r->type = BPF_CORE_READ(sk, sk_type);
    r->state = BPF_CORE_READ(sk, __sk_common.skc_state);
    r->shutdown = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown);
    r->uid = ctx->uid;
    r->flags = 0;
    r->peer = 0;
    r->vfs_ino = 0;
    r->vfs_dev = 0;
    r->name_len = 0;
    r->pad = 0;

    struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
    if (dentry) {
        r->flags |= SOCKPEER_SOCK_HAS_VFS;
        r->vfs_ino = (__u32)BPF_CORE_READ(dentry, d_inode, i_ino);
        r->vfs_dev = BPF_CORE_READ(dentry, d_sb, s_dev);
    }
    struct sock *peer = BPF_CORE_READ(u, peer);
    if (peer) {
        r->flags |= SOCKPEER_SOCK_HAS_PEER;
        r->peer = sock_inode(peer);
    }
    struct unix_address *addr = BPF_CORE_READ(u, addr);
    if (addr) {
        int alen = BPF_CORE_READ(addr, len);
        __u32 len = alen > 2 ? (__u32)(alen - 2) : 0; /* minus sun_family */
        len &= 0x7f;
        if (len > SOCKPEER_NAME_MAX)
            len = SOCKPEER_NAME_MAX;
        r->flags |= SOCKPEER_SOCK_HAS_NAME;
        r->name_len = len;
        bpf_probe_read_kernel(r->name, len, (void *)addr + bpf_core_field_offset(struct unix_address, name) + 2);
    }

    struct sk_buff_head *queue = &sk->sk_receive_queue;
    struct queue_walk w = {
        .head = (struct sk_buff *)queue,
        .skb = BPF_CORE_READ(queue, next),
        .seq = seq,
        .listener = inode,
    };
    if (r->state == TCP_LISTEN) {
        r->rqueue = BPF_CORE_READ(queue, qlen);
        r->wqueue = BPF_CORE_READ(sk, sk_max_ack_backlog);
    } else {
        if (r->type == SOCK_STREAM && bpf_core_field_exists(u->inq_len)) {
            r->rqueue = BPF_CORE_READ(u, inq_len);
        } else if (r->type == SOCK_STREAM || r->type == SOCK_SEQPACKET) {
            bpf_loop(SOCKPEER_MAX_QUEUE, add_skb_len, &w, 0);
            r->rqueue = w.bytes;
        } else {
            struct sk_buff *first = w.skb;
            r->rqueue = first && first != w.head ? BPF_CORE_READ(first, len) : 0;
        }
        int wmem = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter);
        r->wqueue = wmem > 0 ? wmem - 1 : 0;
    }

    __u32 length = (offsetof(struct sockpeer_rec_socket, name) + r->name_len + 3) & ~3u;
    if (length > sizeof(*r))
        length = sizeof(*r);
    r->h.length = length;
    bpf_seq_write(seq, r, length);

    if (r->state == TCP_LISTEN) {
        bpf_loop(SOCKPEER_MAX_QUEUE, emit_waiting, &w, 0);
        if (!w.done) {
            struct sockpeer_rec_waiting partial = {
                .h = { .kind = SOCKPEER_REC_PARTIAL, .length = sizeof(partial) },
                .listener = inode,
            };
            bpf_seq_write(seq, &partial, sizeof(partial));
        }
    }
    return 0;
}

/* Before 6.18 the namespace's type was in its operations; ns_common.ns_type since. */
struct proc_ns_operations___old {
    int type;
} __attribute__((preserve_access_index));

struct ns_common___old {
    const struct proc_ns_operations___old *ops;
    unsigned int inum;
} __attribute__((preserve_access_index));

static __always_inline int is_net_namespace(struct ns_common *ns)
{
    if (bpf_core_field_exists(ns->ns_type))
        return BPF_CORE_READ(ns, ns_type) == CLONE_NEWNET;
    struct ns_common___old *old = (void *)ns;
    return BPF_CORE_READ(old, ops, type) == CLONE_NEWNET;
}

__u32 last_tgid = 0;

SEC("iter/task_file")
int sockpeer_task_file(struct bpf_iter__task_file *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    struct task_struct *task = ctx->task;
    struct file *file = ctx->file;
    if (!task || !file)
        return 0;
    if (ctx->meta->seq_num == 0)
        last_tgid = 0;
    __u32 tgid = task->tgid;
    if (tgid != last_tgid) {
        last_tgid = tgid;
        struct sockpeer_rec_fd t = { .h = { .kind = SOCKPEER_REC_TASK, .length = sizeof(t) }, .pid = tgid };
        bpf_seq_write(seq, &t, sizeof(t));
    }
    struct inode *inode = file->f_inode;
    if (!inode)
        return 0;
    __u16 mode = BPF_CORE_READ(inode, i_mode);
    if ((mode & S_IFMT) == S_IFSOCK) {
        struct sockpeer_rec_fd rec = {
            .h = { .kind = SOCKPEER_REC_FD, .length = sizeof(rec) },
            .pid = tgid,
            .fd = ctx->fd,
            .inode = (__u32)BPF_CORE_READ(inode, i_ino),
        };
        bpf_seq_write(seq, &rec, sizeof(rec));
        return 0;
    }
    if (BPF_CORE_READ(inode, i_sb, s_magic) == NSFS_MAGIC) {
        struct ns_common *ns = BPF_CORE_READ(inode, i_private);
        if (ns && is_net_namespace(ns)) {
            struct sockpeer_rec_fd rec = {
                .h = { .kind = SOCKPEER_REC_NETNS_FD, .length = sizeof(rec) },
                .pid = tgid,
                .fd = ctx->fd,
                .inode = BPF_CORE_READ(ns, inum),
            };
            bpf_seq_write(seq, &rec, sizeof(rec));
        }
    }
    return 0;
}
