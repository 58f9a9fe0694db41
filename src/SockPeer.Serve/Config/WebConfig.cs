using System.Security.Cryptography.X509Certificates;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SockPeer.Serve.Config;

/// <summary>
/// The exporter-toolkit web configuration file that node_exporter's --web.config.file takes, the
/// part of it this server honours:
/// <code>
/// tls_server_config:
///   cert_file: server.crt      # PEM; relative paths are relative to this file, as in exporter-toolkit
///   key_file: server.key
///   min_version: TLS12         # optional: TLS12 or TLS13
/// basic_auth_users:
///   alice: $2y$10$...          # bcrypt hash (htpasswd -nBC 10 alice)
/// </code>
/// Read with YamlDotNet's node model (no reflection, so NativeAOT-safe). Anything else in the file
/// (client certificates, cipher suites, http_server_config) is refused rather than ignored: a
/// setting an operator wrote must not silently do nothing.
/// </summary>
internal sealed record WebConfig
{
    public X509Certificate2? Certificate { get; init; }
    public System.Security.Authentication.SslProtocols? MinTls { get; init; }
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    public bool Tls => Certificate is not null;

    /// <summary>Reads and checks the file; throws <see cref="WebConfigException"/> with one line.</summary>
    public static WebConfig Load(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"cannot read web config {file}: {e.Message}");
        }
        return Parse(text, file);
    }

    /// <summary>
    /// Checks the text of the file <paramref name="file"/> (certificate paths are relative to its
    /// folder); throws <see cref="WebConfigException"/> with one line, and nothing else.
    /// </summary>
    public static WebConfig Parse(string text, string file)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0)
            {
                return new WebConfig();
            }
            root = stream.Documents[0].RootNode as YamlMappingNode ?? throw new WebConfigException($"web config {file}: the top level must be a mapping");
        }
        catch (YamlException e)
        {
            throw new WebConfigException($"web config {file}: line {e.Start.Line}: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // YamlDotNet's node model throws these, not YamlException, on some malformed input (a
            // NUL, a bad global tag, a document end with nothing before it): found by fuzz/'s webconfig target.
            throw new WebConfigException($"web config {file}: not valid YAML: {Snapshots.SnapshotSource.OneLine(e.Message)}");
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        var config = new WebConfig();
        foreach (var (key, value) in root.Children)
        {
            switch (Scalar(key, file))
            {
                case "tls_server_config":
                    config = ReadTls(config, Mapping(value, "tls_server_config", file), dir, file);
                    break;
                case "basic_auth_users":
                    config = config with { Users = ReadUsers(Mapping(value, "basic_auth_users", file), file) };
                    break;
                case var other:
                    throw new WebConfigException($"web config {file}: '{other}' is not supported (supported: tls_server_config, basic_auth_users)");
            }
        }
        return config;
    }

    private static WebConfig ReadTls(WebConfig config, YamlMappingNode tls, string dir, string file)
    {
        string? cert = null, key = null;
        foreach (var (k, v) in tls.Children)
        {
            switch (Scalar(k, file))
            {
                case "cert_file":
                    cert = Scalar(v, file);
                    break;
                case "key_file":
                    key = Scalar(v, file);
                    break;
                case "min_version":
                    config = config with
                    {
                        MinTls = Scalar(v, file) switch
                        {
                            "TLS12" => System.Security.Authentication.SslProtocols.Tls12,
                            "TLS13" => System.Security.Authentication.SslProtocols.Tls13,
                            var bad => throw new WebConfigException($"web config {file}: min_version takes TLS12 or TLS13, not '{bad}'"),
                        },
                    };
                    break;
                case var other:
                    throw new WebConfigException($"web config {file}: tls_server_config.{other} is not supported (supported: cert_file, key_file, min_version)");
            }
        }
        if (cert is null || key is null)
        {
            throw new WebConfigException($"web config {file}: tls_server_config needs both cert_file and key_file");
        }
        cert = Path.Combine(dir, cert);
        key = Path.Combine(dir, key);
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(cert, key);
            // Kestrel on Linux wants the key in a form it can hand to OpenSSL: export and reload (PKCS#12).
            return config with { Certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null) };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new WebConfigException($"web config {file}: cannot load certificate {cert} with key {key}: {Snapshots.SnapshotSource.OneLine(e.Message)}");
        }
    }

    private static Dictionary<string, string> ReadUsers(YamlMappingNode users, string file)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in users.Children)
        {
            string user = Scalar(k, file);
            string hash = Scalar(v, file);
            if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal))
            {
                throw new WebConfigException($"web config {file}: basic_auth_users: '{user}' is not a valid user name");
            }
            if (!IsBcrypt(hash))
            {
                throw new WebConfigException($"web config {file}: basic_auth_users.{user} is not a bcrypt hash ($2a$, $2b$ or $2y$ with a cost and 53 characters)");
            }
            result[user] = hash;
        }
        return result;
    }

    private static bool IsBcrypt(string hash)
        => hash.Length == 60 && hash[0] == '$' && hash[1] == '2' && hash[2] is 'a' or 'b' or 'y' && hash[3] == '$'
            && char.IsAsciiDigit(hash[4]) && char.IsAsciiDigit(hash[5]) && hash[6] == '$';

    private static string Scalar(YamlNode node, string file) => node is YamlScalarNode { Value: { } v }
        ? v
        : throw new WebConfigException($"web config {file}: line {node.Start.Line}: expected a plain value");

    private static YamlMappingNode Mapping(YamlNode node, string name, string file) => node switch
    {
        YamlMappingNode m => m,
        YamlScalarNode { Value: null or "" } => new YamlMappingNode(),
        _ => throw new WebConfigException($"web config {file}: line {node.Start.Line}: {name} must be a mapping"),
    };
}

/// <summary>A web config file that cannot be used; the message is one line.</summary>
internal sealed class WebConfigException(string message) : Exception(message);
