using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Xunit;

namespace SockPeer.Tests.Json;

/// <summary>
/// Checks JSON text against one document definition of docs/sockpeer.schema.json
/// (copied next to the test assembly by the test project).
/// </summary>
public static class SchemaAssert
{
    /// <summary>File name of the schema in the test output folder.</summary>
    public const string SchemaFileName = "sockpeer.schema.json";

    private static readonly Lazy<(string Text, string Id, string[] Defs)> Schema = new(LoadSchema);

    /// <summary>
    /// Fails unless <paramref name="json"/> is one of the schema's documents (list, peer or who), checked
    /// against the one its shape names so that a failure lists that document's errors, not a oneOf's.
    /// Returns the definition it was checked against.
    /// </summary>
    public static string ValidDocument(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string def;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            def = root.ValueKind != JsonValueKind.Object ? "list"
                : root.TryGetProperty("sockets", out _) ? "list"
                : root.TryGetProperty("verdict", out _) ? "check"
                : root.TryGetProperty("listeners", out _) || root.TryGetProperty("path", out _) ? "who"
                : root.TryGetProperty("nodes", out _) ? "graph"
                : root.TryGetProperty("summary", out _) ? "summary"
                : root.TryGetProperty("event", out _) ? "watchEvent"
                : root.TryGetProperty("servers", out _) ? "endpointWho"
                : root.TryGetProperty("endpoint", out _) ? "endpointPeer"
                : "peer";
        }
        catch (JsonException e)
        {
            Assert.Fail($"not well-formed JSON ({e.Message}):\n{Excerpt(json)}");
            return "";
        }
        Valid(json, def);
        return def;
    }

    /// <summary>
    /// Fails (with xunit's <see cref="Assert"/>) unless <paramref name="json"/> is valid against
    /// <c>#/$defs/<paramref name="documentDef"/></c>, e.g. "list", "peer", "who", "socket", "process".
    /// The failure message lists every error with its instance location.
    /// </summary>
    public static void Valid(string json, string documentDef)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentDef);

        var (text, id, defs) = Schema.Value;
        if (!defs.Contains(documentDef, StringComparer.Ordinal))
        {
            Assert.Fail($"{SchemaFileName} has no \"$defs/{documentDef}\"; known: {string.Join(", ", defs)}");
        }

        JsonNode? instance;
        try
        {
            instance = JsonNode.Parse(json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            Assert.Fail($"not well-formed JSON ({e.Message}):\n{Excerpt(json)}");
            return;
        }

        // Parsed per call: evaluation builds state inside the schema objects, and test classes run in parallel.
        var main = JsonSchema.FromText(text);

        // Hierarchical output, so that only the failures that make the document invalid are reported: the list
        // format also carries the failed branches of anyOf alternatives and if-conditions that did not matter.
        var options = new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical };
        options.SchemaRegistry.Register(new Uri(id, UriKind.Absolute), main);

        var target = id + "#/$defs/" + EscapePointerToken(documentDef);
        var wrapper = JsonSchema.FromText(
            $$"""{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": {{JsonSerializer.Serialize(target)}}}""");

        var results = wrapper.Evaluate(instance, options);
        if (results.IsValid)
        {
            return;
        }

        var message = new StringBuilder();
        message.Append("JSON is not a valid \"").Append(documentDef).Append("\" per ").Append(SchemaFileName).AppendLine(":");
        AppendErrors(results, message);
        message.AppendLine("Instance:").Append(Excerpt(json));
        Assert.Fail(message.ToString());
    }

    // Walks down through failing results only: a failed node below a passing one (an anyOf alternative that
    // was not taken) is not a reason for the failure, and neither is a false if-condition.
    private static int AppendErrors(EvaluationResults node, StringBuilder message)
    {
        var count = 0;
        if (node.Errors is not null)
        {
            foreach (var (keyword, error) in node.Errors)
            {
                count++;
                AppendLine(message, node, error, keyword + " at " + node.EvaluationPath);
            }
        }

        foreach (var child in node.Details)
        {
            if (!child.IsValid && !EndsWithKeyword(child, "if"))
            {
                count += AppendErrors(child, message);
            }
        }

        if (count == 0)
        {
            // Some keywords ("not" in particular) fail without a message of their own.
            var not = node.Details.FirstOrDefault(c => c.IsValid && EndsWithKeyword(c, "not"));
            AppendLine(
                message,
                node,
                not is null ? "does not match the schema" : "matches a schema it must not match",
                (not ?? node).EvaluationPath.ToString());
            count = 1;
        }

        return count;
    }

    private static bool EndsWithKeyword(EvaluationResults node, string keyword)
    {
        var path = node.EvaluationPath.ToString();
        return path.EndsWith("/" + keyword, StringComparison.Ordinal)
            && !path.EndsWith("/properties/" + keyword, StringComparison.Ordinal);
    }

    private static void AppendLine(StringBuilder message, EvaluationResults node, string error, string where) =>
        message.Append("  at ").Append(Location(node.InstanceLocation.ToString()))
            .Append(": ").Append(error)
            .Append("  [").Append(where).AppendLine("]");

    private static (string Text, string Id, string[] Defs) LoadSchema()
    {
        var path = Path.Combine(AppContext.BaseDirectory, SchemaFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{SchemaFileName} was not copied to the test output folder", path);
        }

        var text = File.ReadAllText(path);
        var root = JsonNode.Parse(text)?.AsObject()
            ?? throw new InvalidDataException($"{path} is not a JSON object");
        var id = root["$id"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{path} has no $id");
        var defs = root["$defs"]?.AsObject()
            ?? throw new InvalidDataException($"{path} has no $defs");
        return (text, id, defs.Select(d => d.Key).ToArray());
    }

    private static string EscapePointerToken(string token) =>
        Uri.EscapeDataString(token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));

    private static string Location(string pointer) => pointer.Length == 0 ? "(root)" : pointer;

    private static string Excerpt(string json) => json.Length <= 4000 ? json : string.Concat(json.AsSpan(0, 4000), "…");
}
