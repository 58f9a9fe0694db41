using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>--otlp-endpoint: a test receiver on loopback gets the same measurements pushed over OTLP/HTTP (protobuf).</summary>
public sealed class OtlpTests
{
    [Fact]
    public async Task TheReceiverGetsTheMetrics()
    {
        using var scenario = ServeScenarios.PendingAndServed();
        int port = ServeProcess.FreePort();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        using var serve = ServeProcess.Start(["--path", scenario.Dir + "/*", "--otlp-endpoint", $"http://127.0.0.1:{port}", "--otlp-interval", "1s"]);
        Assert.Contains($"OTLP to http://127.0.0.1:{port}/", serve.Stderr[0], StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var pending = receiver.GetContextAsync();
            if (await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(30))) != pending)
            {
                break;
            }
            var context = await pending;
            using var body = new MemoryStream();
            context.Request.InputStream.CopyTo(body);
            string path = context.Request.Url!.AbsolutePath;
            string contentType = context.Request.ContentType ?? "";
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
            Assert.Equal("POST", context.Request.HttpMethod);
            Assert.Equal("/v1/metrics", path);
            Assert.Equal("application/x-protobuf", contentType);
            // Protobuf keeps strings as UTF-8 bytes: the metric names and label values are there as such.
            string text = Encoding.UTF8.GetString(body.ToArray());
            if (text.Contains("sockpeer_unix_listener_pending", StringComparison.Ordinal) && text.Contains(scenario.Socket("pending").Path!, StringComparison.Ordinal))
            {
                Assert.Contains("sockpeer_unix_connections", text, StringComparison.Ordinal);
                Assert.Contains("sp-client-a", text, StringComparison.Ordinal);
                Assert.Contains("sockpeer_build_info", text, StringComparison.Ordinal);
                return;
            }
        }
        Assert.Fail("no OTLP export with the scenario's listener arrived within 60 s: " + string.Join('\n', serve.Stderr));
    }
}
