/* Shared between the eBPF program and its reader (UnixKernelEvent.cs mirrors this layout). */
#ifndef SOCKPEER_UNIX_EVENTS_H
#define SOCKPEER_UNIX_EVENTS_H

#define SOCKPEER_EVENT_CONNECT 1
#define SOCKPEER_EVENT_ACCEPT 2
#define SOCKPEER_EVENT_CLOSE 3

#define SOCKPEER_CLOSE_SYSCALL 1 /* close(fd) of its last descriptor */
#define SOCKPEER_CLOSE_EXIT 2    /* the last process holding it exited */

#define SOCKPEER_COMM_LEN 16
#define SOCKPEER_NAME_LEN 108 /* sun_path */
#define SOCKPEER_NAME_BUF 128 /* a power of two, so the verifier can bound a masked length */

struct sockpeer_event {
    __u64 time_ns;      /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
    __u32 kind;         /* SOCKPEER_EVENT_* */
    __u32 pid;          /* tgid */
    __u32 tid;
    __u32 uid;
    __u32 inode;        /* socket inode of the socket the event is about */
    __u32 peer_inode;   /* accept, close: the other end's; 0 when it has none (yet) */
    __u32 fd;           /* connect, accept, close: the descriptor in pid */
    __u32 netns;        /* network namespace inode */
    __u16 type;         /* SOCK_STREAM 1, SOCK_SEQPACKET 5, SOCK_DGRAM 2 */
    __u16 state;        /* close: the socket's TCP-style state before release */
    __u32 name_len;     /* bytes of name (sun_path, abstract names start with NUL) */
    __u32 reason;       /* close: SOCKPEER_CLOSE_* */
    char comm[SOCKPEER_COMM_LEN];
    char name[SOCKPEER_NAME_BUF];
    /*
     * The kernel socket (and its peer's) as an opaque identity, scrambled with a key of the reader's:
     * a client that closes before the server accepts has no inode left for the accept to name.
     */
    __u64 sock_id;
    __u64 peer_id;
};

/* Set by the reader before the programs are attached. */
struct sockpeer_config {
    /* Events are dropped in the kernel unless a name involved (the socket's or its peer's) starts with
       name_prefix: `watch --path '/run/app/' + '*'` on a busy host reads only its own events. 0: all. */
    __u32 name_len;
    __u32 pad;
    __u64 id_key; /* XORed into sock_id and peer_id, so no kernel address reaches user space as is */
    char name_prefix[SOCKPEER_NAME_BUF];
};

#endif
