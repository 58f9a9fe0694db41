using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>--web-config: TLS with a certificate made now by openssl, basic auth with a bcrypt hash, and bad files.</summary>
public sealed class WebConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sockpeer-webconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task TlsAndBasicAuth()
    {
        var openssl = ChildProcess.Run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", Path.Combine(_dir, "server.key"), "-out", Path.Combine(_dir, "server.crt")],
            TimeSpan.FromSeconds(60));
        Assert.True(openssl.ExitCode == 0, openssl.Stderr);
        string hash = BCrypt.Net.BCrypt.HashPassword("s3cret pass", workFactor: 6);
        // Relative paths are relative to the config file, as in exporter-toolkit.
        string config = Path.Combine(_dir, "web.yml");
        File.WriteAllText(config, $"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            basic_auth_users:
              prometheus: '{hash}'
            """);

        using var serve = ServeProcess.Start(["--web-config", config], tls: true);
        Assert.StartsWith($"sockpeer: serving https://127.0.0.1:{serve.Port}/metrics", serve.Stderr[0], StringComparison.Ordinal);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.Subject == "CN=127.0.0.1"; // the certificate made above
        using var https = serve.Client(handler);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(https, "metrics", null)).StatusCode);
        using (var wrong = (await Get(https, "metrics", "prometheus:wrong")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("Basic", wrong.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(https, "metrics", "nobody:s3cret pass")).StatusCode);
        using (var right = (await Get(https, "metrics", "prometheus:s3cret pass")))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            Assert.Contains("sockpeer_build_info", (await right.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }
        // Remembered after the first check; a wrong one still is not.
        Assert.Equal(HttpStatusCode.OK, (await Get(https, "metrics", "prometheus:s3cret pass")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(https, "metrics", "prometheus:s3cret pass ")).StatusCode);

        // Plain HTTP to the TLS port gets no HTTP answer.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{serve.Port}/metrics"));
        // And the server is still there.
        Assert.Equal(HttpStatusCode.OK, (await Get(https, "metrics", "prometheus:s3cret pass")).StatusCode);
    }

    private static async Task<HttpResponseMessage> Get(HttpClient client, string path, string? credentials)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
        return (await client.SendAsync(request));
    }

    [Theory]
    [InlineData("tls_server_config: [unclosed", "web config")]
    [InlineData("tls_server_config:\n  cert_file: a.crt\n", "tls_server_config needs both cert_file and key_file")]
    [InlineData("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n", "cannot load certificate")]
    [InlineData("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n", "tls_server_config.client_ca_file is not supported")]
    [InlineData("basic_auth_users:\n  alice: plaintext\n", "basic_auth_users.alice is not a bcrypt hash")]
    [InlineData("http_server_config:\n  http2: false\n", "'http_server_config' is not supported")]
    [InlineData("- a list\n", "the top level must be a mapping")]
    // Found by fuzz/'s webconfig target (fuzz/regressions/webconfig/): YamlDotNet threw ArgumentException or
    // InvalidOperationException, which the server did not catch (a stack trace instead of one line).
    [InlineData("...\u0000", "not valid YAML")]
    [InlineData("!!str[K", "not valid YAML")]
    [InlineData("\u0000:\u0000:e \u0000", "not valid YAML")]
    [InlineData("? [nlyc?o\uFFFD\n\n\n\u0002\n\n\u000B\n\n\n\uFFFD\u0000\u0000\u0000\u000B\n\u000B\n\uFFFD$\u000E\uFFFD\uFFFD\uFFFD\n\u0000\u0002", "not valid YAML")]
    public void AMalformedFileIsOneLineAndExit1(string yaml, string message)
    {
        string config = Path.Combine(_dir, "web.yml");
        File.WriteAllText(config, yaml);
        var result = ChildProcess.Run(ServeProcess.ServeBinary, ["--listen", $"127.0.0.1:{ServeProcess.FreePort()}", "--web-config", config], TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("sockpeer: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void AMissingFileIsOneLineAndExit1()
    {
        var result = ChildProcess.Run(ServeProcess.ServeBinary, ["--web-config", Path.Combine(_dir, "absent.yml")], TimeSpan.FromSeconds(60));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("sockpeer: cannot read web config ", result.Stderr, StringComparison.Ordinal);
    }
}
