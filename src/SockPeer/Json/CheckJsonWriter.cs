using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Reachability;

using static SockPeer.Json.NullableJson;

namespace SockPeer.Json;

/// <summary>`sockpeer check --json`: the verdict document (docs/schema.md, "check").</summary>
public static class CheckJsonWriter
{
    /// <summary>Writes <paramref name="check"/> (and the real connect's outcome, when <c>--try</c> made one).</summary>
    public static void Write(Stream output, SocketInventory inventory, ConnectCheck check, ConnectTrialResult? trial)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(check);
        SchemaJsonWriter.WriteDocument(output, inventory, inventory.ProcessesOf(check.HolderPids), w =>
        {
            w.WriteString("target", check.Target);
            w.WriteString("verdict", check.Verdict.ToText());
            WriteStringOrNull(w, "errno", check.Errno);
            w.WriteString("reason", check.Reason);
            WriteStringOrNull(w, "fix", check.Fix);
            w.WriteString("type", check.Type.ToText());
            w.WriteStartObject("client");
            w.WriteNumber("uid", check.Client.Uid);
            w.WriteNumber("gid", check.Client.Gid);
            w.WriteStartArray("groups");
            foreach (uint g in check.Client.Groups)
            {
                w.WriteNumberValue(g);
            }
            w.WriteEndArray();
            WriteStringOrNull(w, "user", check.Client.User);
            if (check.FromPid is int pid)
            {
                w.WriteNumber("fromPid", pid);
            }
            else
            {
                w.WriteNull("fromPid");
            }
            if (check.ClientNetNs is ulong ns)
            {
                w.WriteNumber("netns", ns);
            }
            else
            {
                w.WriteNull("netns");
            }
            w.WriteEndObject();
            w.WritePropertyName("listener");
            if (check.Listener is { } l)
            {
                SchemaJsonWriter.WriteSocket(w, l);
            }
            else
            {
                w.WriteNullValue();
            }
            w.WriteStartArray("elsewhere");
            foreach (var s in check.Elsewhere)
            {
                SchemaJsonWriter.WriteSocket(w, s);
            }
            w.WriteEndArray();
            w.WriteStartArray("path");
            foreach (var step in check.Path)
            {
                w.WriteStartObject();
                w.WriteString("name", step.Path);
                WriteStringOrNull(w, "type", step.Type);
                SchemaJsonWriter.WriteMode(w, "mode", step.Mode);
                WriteNullable(w, "uid", step.Uid);
                WriteNullable(w, "gid", step.Gid);
                w.WriteBoolean("ok", step.Ok);
                if (step.LinkTarget is { } target)
                {
                    w.WriteString("linkTarget", target);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (string note in check.Notes)
            {
                w.WriteStringValue(note);
            }
            w.WriteEndArray();
            if (trial is null)
            {
                w.WriteNull("try");
            }
            else
            {
                w.WriteStartObject("try");
                w.WriteBoolean("connected", trial.Connected);
                WriteStringOrNull(w, "errno", trial.Errno);
                WriteStringOrNull(w, "failure", trial.Failure);
                w.WriteEndObject();
            }
        });
    }
}
