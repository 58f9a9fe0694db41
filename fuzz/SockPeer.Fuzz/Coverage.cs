using dnlib.DotNet;
using dnlib.DotNet.Emit;

namespace SockPeer.Fuzz;

/// <summary>
/// Which instrumentation sites of the engine a corpus reaches, per method. Needs an engine instrumented
/// with SHARPFUZZ_ENABLE_ON_BRANCH_CALLBACK set (every site then calls Trace.OnBranch) and the same
/// engine before instrumentation, to count the sites the way SharpFuzz places them: method entry,
/// branch targets, the instruction after a conditional branch, switch targets, exception handlers.
/// </summary>
internal static class Coverage
{
    public static int Run(Target target, string cleanEngine, string[] files, IReadOnlyList<string> types)
    {
        var reached = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        SharpFuzz.Common.Trace.OnBranch = (id, method) =>
        {
            if (!reached.TryGetValue(method, out HashSet<int>? ids))
            {
                reached[method] = ids = [];
            }
            ids.Add(id);
        };
        foreach (string file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // a crash input still counts for coverage
            }
        }
        SharpFuzz.Common.Trace.OnBranch = null;

        int totalSites = 0, totalReached = 0;
        using ModuleDefMD module = ModuleDefMD.Load(cleanEngine);
        foreach (TypeDef type in module.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (MethodDef method in type.Methods.Where(m => m.HasBody))
            {
                // An entry names a type (with its nested types: lambdas, state machines) or one method as Type::Method.
                string owner = type.FullName.Split('/')[0];
                if (!types.Any(p => p == owner || p == $"{owner}::{method.Name}"))
                {
                    continue;
                }
                int sites = CountSites(method.Body);
                int hit = reached.TryGetValue(method.FullName, out HashSet<int>? ids) ? ids.Count : 0;
                totalSites += sites;
                totalReached += Math.Min(hit, sites);
                Console.WriteLine($"{hit,4}/{sites,-4} {type.FullName}::{method.Name}");
            }
        }
        Console.WriteLine($"sites reached: {totalReached} of {totalSites} ({(totalSites == 0 ? 0 : 100.0 * totalReached / totalSites):F1}%) in {string.Join(", ", types)}; {files.Length} inputs");
        return 0;
    }

    private static int CountSites(CilBody body)
    {
        IList<Instruction> code = body.Instructions;
        if (code.Count == 0)
        {
            return 0;
        }
        var sites = new HashSet<Instruction> { code[0] };
        for (int i = 0; i < code.Count; i++)
        {
            Instruction ins = code[i];
            if (ins.OpCode.FlowControl == FlowControl.Cond_Branch && i + 1 < code.Count)
            {
                sites.Add(code[i + 1]);
            }
            if (ins.OpCode.Code == Code.Switch)
            {
                foreach (Instruction t in (IList<Instruction>)ins.Operand)
                {
                    sites.Add(t);
                }
            }
            else if (ins.OpCode.FlowControl is FlowControl.Branch or FlowControl.Cond_Branch)
            {
                sites.Add((Instruction)ins.Operand);
            }
        }
        foreach (ExceptionHandler handler in body.ExceptionHandlers)
        {
            sites.Add(handler.HandlerStart);
        }
        return sites.Count;
    }
}
