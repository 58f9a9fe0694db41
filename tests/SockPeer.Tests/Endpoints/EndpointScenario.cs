using SockPeer.Tests.Infrastructure;

namespace SockPeer.Tests.Endpoints;

/// <summary>
/// One python population of real processes, each a separate OS process: `a | b`, a pipe shared by a
/// forked child, a FIFO with one reader and two writers, a pty from pty.fork(), TCP over 127.0.0.1 and
/// ::1, a listener with two clients never accepted, a connected UDP pair, a regular file.
/// </summary>
public sealed class EndpointScenario : IDisposable
{
    public Scenario Scenario { get; } = Scenario.Start("""
        import pty
        opened = []
        def track(*fds):
            opened.extend(fds)
            return fds[0] if len(fds) == 1 else fds
        def drop_others(keep):
            for fd in opened:
                if fd not in keep:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
        def child(keep, **info):
            # Fork a holder that keeps only the fds in `keep` of those made here, reports, and waits.
            keep = [k if isinstance(k, int) else k.fileno() for k in keep]
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                drop_others(keep)
                child_report(w, pid=os.getpid(), **info)
                hold()
            os.close(w)
            report = read_report(r)
            os.close(r)
            return report

        # a | b
        pr, pw = track(*os.pipe())
        a = child([pw], fd=pw)
        b = child([pr], fd=pr)
        os.close(pr); os.close(pw)
        # a pipe shared by a forked child: this process and the child both hold the write end
        sr, sw = track(*os.pipe())
        shared = child([sw], fd=sw)

        # FIFO: one reader, two writers (the reader opens non-blocking so the writers' opens return)
        fifo = os.path.join(sys.argv[1], "fifo")
        os.mkfifo(fifo)
        fr = track(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        reader = child([fr], fd=fr)
        os.close(fr)
        fw1 = track(os.open(fifo, os.O_WRONLY))
        w1 = child([fw1], fd=fw1)
        os.close(fw1)
        fw2 = track(os.open(fifo, os.O_WRONLY))
        w2 = child([fw2], fd=fw2)
        os.close(fw2)

        # pty: the master here, the child's stdin/stdout/stderr on /dev/pts/N
        ptypid, master = pty.fork()
        if ptypid == 0:
            drop_others([])
            hold()

        def tcp_pair(family, host):
            l = socket.socket(family, socket.SOCK_STREAM); track(l.fileno())
            l.bind((host, 0)); l.listen(8)
            port = l.getsockname()[1]
            c = socket.socket(family, socket.SOCK_STREAM); track(c.fileno())
            c.connect((host, port))
            s, _ = l.accept(); track(s.fileno())
            client = child([c], fd=c.fileno())
            c.close()
            return l, s, port, client

        l4, s4, port4, c4 = tcp_pair(socket.AF_INET, "127.0.0.1")
        l6, s6, port6, c6 = tcp_pair(socket.AF_INET6, "::1")

        # a listener with two clients never accepted
        lp = socket.socket(); track(lp.fileno()); lp.bind(("127.0.0.1", 0)); lp.listen(4)
        pport = lp.getsockname()[1]
        p1 = socket.socket(); track(p1.fileno()); p1.connect(("127.0.0.1", pport))
        p2 = socket.socket(); track(p2.fileno()); p2.connect(("127.0.0.1", pport))
        pending = child([p1, p2], fds=[p1.fileno(), p2.fileno()])
        p1.close(); p2.close()

        # connected UDP pair
        u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); track(u1.fileno()); u1.bind(("127.0.0.1", 0))
        u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); track(u2.fileno()); u2.bind(("127.0.0.1", 0))
        u1.connect(u2.getsockname()); u2.connect(u1.getsockname())
        udp = child([u1], fd=u1.fileno())
        u1.close()

        regular = open(os.path.join(sys.argv[1], "plain.txt"), "w")

        ready(a=a, b=b, sharedChild=shared, sharedRead=sr, sharedWrite=sw,
              fifo=fifo, reader=reader, w1=w1, w2=w2,
              ptyChild=ptypid, master=master,
              listen4=ino(l4), server4=s4.fileno(), server4Ino=ino(s4), port4=port4, client4=c4,
              listen6=ino(l6), server6=s6.fileno(), port6=port6, client6=c6,
              pendingListener=ino(lp), pendingPort=pport, pending=pending,
              udpServer=u2.fileno(), udpChild=udp,
              regular=regular.fileno())
        hold()
        """);

    public void Dispose() => Scenario.Dispose();
}
