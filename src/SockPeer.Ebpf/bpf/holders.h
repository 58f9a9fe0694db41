/* Shared between the bpf collector's iterator and its reader (src/SockPeer/Collection/BpfSnapshotRecords.cs mirrors it). */
#ifndef SOCKPEER_HOLDERS_H
#define SOCKPEER_HOLDERS_H

/* Every record starts with a kind and its length in bytes (a multiple of 4). */
#define SOCKPEER_REC_FD 1        /* a socket fd */
#define SOCKPEER_REC_NETNS_FD 2  /* an fd of a network namespace (nsfs) */
#define SOCKPEER_REC_TASK 3      /* a process (tgid) whose fd table was read */

struct sockpeer_rec_fd {
    __u16 kind;
    __u16 length;
    __u32 pid;        /* tgid */
    __u32 fd;
    __u32 inode;      /* socket inode, or the namespace's inode for NETNS_FD; 0 for TASK */
};

#endif
