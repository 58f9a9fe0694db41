/* Shared between the snapshot iterators and their reader (src/SockPeer/Collection/BpfRecords.cs mirrors it). */
#ifndef SOCKPEER_UNIX_SNAPSHOT_H
#define SOCKPEER_UNIX_SNAPSHOT_H

/* Every record starts with a kind and its length in bytes (a multiple of 4). */
#define SOCKPEER_REC_SOCKET 1    /* iter/unix: one AF_UNIX socket that has an inode */
#define SOCKPEER_REC_WAITING 2   /* iter/unix: one client in a listener's accept queue, in queue order */
#define SOCKPEER_REC_PARTIAL 3   /* iter/unix: a listener whose queue was longer than the walk */
#define SOCKPEER_REC_FD 4        /* iter/task_file: a socket fd */
#define SOCKPEER_REC_NETNS_FD 5  /* iter/task_file: an fd of a network namespace (nsfs) */
#define SOCKPEER_REC_TASK 6      /* iter/task_file: a process (tgid) whose fd table was read */

#define SOCKPEER_SOCK_HAS_VFS 1
#define SOCKPEER_SOCK_HAS_PEER 2
#define SOCKPEER_SOCK_HAS_NAME 4

#define SOCKPEER_MAX_QUEUE 4096  /* accept-queue and receive-queue walk limit */
#define SOCKPEER_NAME_MAX 108

struct sockpeer_rec_header {
    __u16 kind;
    __u16 length;
};

struct sockpeer_rec_socket {
    struct sockpeer_rec_header h;
    __u32 inode;
    __u64 cookie;
    __u32 peer;       /* the peer's inode (0: an embryo, or gone) when HAS_PEER */
    __u32 vfs_ino;
    __u32 vfs_dev;
    __u32 rqueue;     /* listeners: waiting clients; others: bytes queued to read */
    __u32 wqueue;     /* listeners: backlog; others: bytes written not yet read */
    __u32 uid;
    __u8 type;
    __u8 state;
    __u8 shutdown;
    __u8 flags;       /* SOCKPEER_SOCK_* */
    __u16 name_len;
    __u16 pad;
    char name[SOCKPEER_NAME_MAX]; /* name_len bytes used; the record is cut after them, padded to 4 */
};

struct sockpeer_rec_waiting {
    struct sockpeer_rec_header h;
    __u32 listener;
    __u32 client;     /* 0: the client closed while waiting */
};

struct sockpeer_rec_fd {
    struct sockpeer_rec_header h;
    __u32 pid;        /* tgid */
    __u32 fd;
    __u32 inode;      /* socket inode, or the namespace's inode for NETNS_FD; unused for TASK */
};

#endif
