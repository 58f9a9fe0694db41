using System.Text;
using System.Text.Json;

namespace SockPeer.Tests.Infrastructure;

/// <summary>The steps of a <see cref="SocketScene"/>; see there for the list.</summary>
public sealed class SocketSceneBuilder
{
    private readonly StringBuilder _steps = new();
    private readonly HashSet<string> _names = [];
    private string[] _prefix = [];

    /// <summary>
    /// A listener named <paramref name="name"/>, on the file <paramref name="file"/> (name + ".sock" by
    /// default) in the scene's directory (or at that path if it is absolute), or on an abstract address.
    /// </summary>
    public SocketSceneBuilder Listen(string name, int backlog = 4, SceneType type = SceneType.Stream, string? file = null, byte[]? abstractName = null)
        => Declare(name, $"bind_socket({Py(name)}, {Kind(type)}, {Address(name, file, abstractName)}, {backlog})");

    /// <summary>A socket bound to a file (or abstract address) that does not listen: a datagram server by default.</summary>
    public SocketSceneBuilder Bind(string name, SceneType type = SceneType.Datagram, string? file = null, byte[]? abstractName = null)
        => Declare(name, $"bind_socket({Py(name)}, {Kind(type)}, {Address(name, file, abstractName)}, None)");

    /// <summary>A socket that is neither bound nor connected, held by the scene's process.</summary>
    public SocketSceneBuilder Unbound(string name, SceneType type = SceneType.Datagram)
        => Declare(name, $"bind_socket({Py(name)}, {Kind(type)}, None, None)");

    /// <summary>A client named <paramref name="name"/>, held by the scene's process, connected to a path outside the scene (another scene's listener).</summary>
    public SocketSceneBuilder ConnectTo(string name, string path, SceneType type = SceneType.Stream)
        => Declare(name, $"connect_to({Py(name)}, {Kind(type)}, {Py(path)})");

    /// <summary>
    /// <paramref name="clients"/> clients of the listener or bound socket <paramref name="target"/>, held by
    /// <paramref name="heldBy"/>; then the oldest <paramref name="accept"/> waiting clients are accepted by
    /// the scene's process (the rest stay pending). A child holder takes the command name
    /// <paramref name="comm"/> (at most 15 bytes) when given.
    /// </summary>
    public SocketSceneBuilder Connect(string target, int clients = 1, Holder heldBy = Holder.Self, int accept = 0, string? comm = null)
    {
        Known(target);
        if (comm is not null && heldBy == Holder.Self)
        {
            throw new ArgumentException("a command name is for clients held by children; Named renames the scene's process", nameof(comm));
        }
        string holder = heldBy switch
        {
            Holder.Self => "self",
            Holder.Child => "child",
            Holder.ChildEach => "child-each",
            _ => "child-netns",
        };
        return Step($"connect({Py(target)}, {clients}, {Py(holder)}, {accept}, {(comm is null ? "None" : Py(comm))})");
    }

    /// <summary>Accepts the <paramref name="count"/> oldest waiting clients of <paramref name="listener"/>.</summary>
    public SocketSceneBuilder Accept(string listener, int count = 1) => Known(listener).Step($"accept_clients({Py(listener)}, {count})");

    /// <summary>
    /// From now on a thread of the scene's process accepts every client of <paramref name="listener"/> as
    /// it comes, and closes it at once (or keeps it): a server for tests whose clients come and go.
    /// </summary>
    public SocketSceneBuilder AcceptForever(string listener, bool closeEach = true)
        => Known(listener).Step($"accept_forever({Py(listener)}, {(closeEach ? "True" : "False")})");

    /// <summary>A socketpair; with <paramref name="secondEndInChild"/> its end B moves to a forked child (this process closes it).</summary>
    public SocketSceneBuilder Pair(string name, SceneType type = SceneType.Stream, bool secondEndInChild = false)
        => Declare(name, $"pair({Py(name)}, {Kind(type)}, {(secondEndInChild ? "True" : "False")})");

    /// <summary>
    /// A forked child that keeps a copy of <paramref name="socket"/> (named as for <see cref="Close"/>) and
    /// nothing else of the scene: the socket then has two holders. The child's copy is the entry <paramref name="name"/>.
    /// </summary>
    public SocketSceneBuilder ShareWithChild(string socket, string name)
        => Known(socket.Split('.')[0]).Declare(name, $"share({Py(socket)}, {Py(name)})");

    /// <summary>
    /// Sends <paramref name="socket"/> with SCM_RIGHTS over <paramref name="carrier"/> (names as for
    /// <see cref="Close"/>) and closes it here: nobody receives it, so it waits in flight on the queue of
    /// the carrier's peer and no process holds it.
    /// </summary>
    public SocketSceneBuilder SendInFlight(string carrier, string socket)
        => Known(carrier.Split('.')[0]).Known(socket.Split('.')[0]).Step($"send_in_flight({Py(carrier)}, {Py(socket)})");

    /// <summary>Removes the socket file of <paramref name="name"/>; the socket stays bound to the name.</summary>
    public SocketSceneBuilder Unlink(string name) => Known(name).Step($"os.unlink(ADDR[{Py(name)}])");

    /// <summary>
    /// Closes one socket the scene's process holds: "NAME" (a listener or bound socket), "NAME.a" or
    /// "NAME.b" (a pair's ends), "NAME.client0", "NAME.accepted0" (connection 0 of NAME). Its entry
    /// keeps the inode it had.
    /// </summary>
    public SocketSceneBuilder Close(string socket) => Known(socket.Split('.')[0]).Step($"OBJ[{Py(socket)}].close()");

    /// <summary>
    /// Python run at this point in the scene's process, for what only one test needs. OBJ holds the
    /// socket objects by the names <see cref="Close"/> takes, ADDR the addresses; what it puts in the
    /// dict EXTRA comes back in <see cref="SocketScene.Scenario"/>'s ready line.
    /// </summary>
    public SocketSceneBuilder Then(string python) => Step(Scenario.Dedent(python));

    /// <summary>Gives the scene's process the command name <paramref name="comm"/> (prctl PR_SET_NAME, at most 15 bytes); children forked later inherit it.</summary>
    public SocketSceneBuilder Named(string comm) => Step($"set_comm({Py(comm)})");

    /// <summary>Runs the scene's process through <paramref name="prefix"/> (such as <see cref="Confined.Nobody"/>); before <see cref="InNewNetNs"/> when both are wanted.</summary>
    public SocketSceneBuilder As(string[] prefix)
    {
        _prefix = prefix;
        return this;
    }

    /// <summary>Runs the whole scene (its process and every child) in a network namespace of its own, through unshare --net (needs root).</summary>
    public SocketSceneBuilder InNewNetNs()
    {
        _prefix = [.. _prefix, "unshare", "--net"];
        return this;
    }

    /// <summary>Starts the process and waits until every step has run.</summary>
    public SocketScene Start() => SocketScene.Start(Runtime + "\n" + _steps + "ready(scene=SCENE, **EXTRA)\nhold()\n", _prefix);

    /// <summary>The python the steps call (after <see cref="Scenario.Prelude"/>).</summary>
    private const string Runtime = """
        SCENE, EXTRA, OBJ, ADDR, KIND, QUEUE, MINE = {}, {}, {}, {}, {}, {}, []
        def netns():
            return os.stat("/proc/self/ns/net").st_ino
        def held(s, **more):
            return dict(pid=os.getpid(), fd=s.fileno(), inode=ino(s), netns=netns(), **more)
        def track(s):
            MINE.append(s)
            return s
        def in_child(make, keep=(), new_netns=False):
            # Fork a child that drops every scene socket but `keep`, runs make() and reports its dict.
            r, w = os.pipe()
            if os.fork() == 0:
                try:
                    os.close(r)
                    for s in MINE:
                        if not any(s is k for k in keep):
                            s.close()
                    if new_netns:
                        import ctypes
                        if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0:  # CLONE_NEWNET
                            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
                    child_report(w, **make())
                except BaseException as e:
                    sys.stderr.write("scene child failed: %r\n" % (e,))
                    os._exit(1)
                hold()
            os.close(w)
            rep = read_report(r)
            os.close(r)
            return rep
        def bind_socket(name, kind, addr, backlog):
            s = track(socket.socket(socket.AF_UNIX, kind))
            if addr is not None:
                s.bind(addr)
            if backlog is not None:
                s.listen(backlog)
            OBJ[name], ADDR[name], KIND[name], QUEUE[name] = s, addr, kind, []
            SCENE[name] = held(s, path=addr if isinstance(addr, str) else None, connections=[])
        def connect_to(name, kind, addr):
            c = track(socket.socket(socket.AF_UNIX, kind))
            c.connect(addr)
            OBJ[name] = c
            SCENE[name] = held(c, connections=[])
        def set_comm(comm):
            import ctypes
            ctypes.CDLL(None).prctl(15, comm.encode(), 0, 0, 0)  # PR_SET_NAME
        def connect(name, count, holder, accept, comm):
            addr, kind = ADDR[name], KIND[name]
            def make(n):
                def run():
                    if comm is not None:
                        set_comm(comm)
                    cs = [track(socket.socket(socket.AF_UNIX, kind)) for _ in range(n)]
                    for c in cs:
                        c.connect(addr)
                    return dict(clients=[held(c) for c in cs])
                return run
            if holder == "self":
                first = len(SCENE[name]["connections"])
                made = make(count)()
                for i, c in enumerate(MINE[-count:]):
                    OBJ["%s.client%d" % (name, first + i)] = c
                reports = [made]
            elif holder == "child-each":
                reports = [in_child(make(1)) for _ in range(count)]
            else:
                reports = [in_child(make(count), new_netns=holder == "child-netns")]
            for rep in reports:
                for c in rep["clients"]:
                    rec = dict(client=c, accepted=None)
                    SCENE[name]["connections"].append(rec)
                    if kind != socket.SOCK_DGRAM:
                        QUEUE[name].append(rec)
            accept_clients(name, accept)
        def accept_clients(name, count):
            for _ in range(count):
                a, _ = OBJ[name].accept()
                track(a)
                rec = QUEUE[name].pop(0)  # the accept queue is first in, first out
                rec["accepted"] = held(a)
                OBJ["%s.accepted%d" % (name, SCENE[name]["connections"].index(rec))] = a
        def accept_forever(name, close_each):
            import threading
            srv, kept = OBJ[name], []
            def serve():
                while True:
                    try:
                        c, _ = srv.accept()
                    except OSError:
                        return
                    if close_each:
                        c.close()
                    else:
                        kept.append(c)
            threading.Thread(target=serve, daemon=True).start()
        def send_in_flight(carrier, name):
            send_fds(OBJ[carrier], [OBJ[name].fileno()])
            OBJ[name].close()
        def share(obj, name):
            s = OBJ[obj]
            SCENE[name] = in_child(lambda: held(s), keep=[s])
        def pair(name, kind, second_in_child):
            a, b = socket.socketpair(socket.AF_UNIX, kind)
            track(a)
            track(b)
            OBJ[name + ".a"], OBJ[name + ".b"] = a, b
            SCENE[name] = dict(a=held(a), b=held(b))
            if second_in_child:
                SCENE[name]["b"] = in_child(lambda: held(b), keep=[b])
                b.close()
        """;

    private SocketSceneBuilder Declare(string name, string call)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"the scene already has a step named {name}", nameof(name));
        }
        return Step(call);
    }

    private SocketSceneBuilder Known(string name)
        => _names.Contains(name) ? this : throw new ArgumentException($"the scene has no step named {name} yet", nameof(name));

    private SocketSceneBuilder Step(string python)
    {
        _steps.AppendLine(python);
        return this;
    }

    private static string Address(string name, string? file, byte[]? abstractName)
        => abstractName is not null
            ? $"b\"\\0\" + bytes.fromhex({Py(Convert.ToHexString(abstractName))})"
            : $"os.path.join(sys.argv[1], {Py(file ?? name + ".sock")})";

    private static string Kind(SceneType type) => type switch
    {
        SceneType.Stream => "socket.SOCK_STREAM",
        SceneType.Datagram => "socket.SOCK_DGRAM",
        _ => "socket.SOCK_SEQPACKET",
    };

    /// <summary>A python string literal (JSON's escapes are python's too).</summary>
    private static string Py(string s) => JsonSerializer.Serialize(s);
}
