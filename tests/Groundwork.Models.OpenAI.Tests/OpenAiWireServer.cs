using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Groundwork.Models.OpenAI.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1 speaking the OpenAI wire format (/v1/chat/completions with and without SSE,
/// /v1/embeddings). It can fail the first requests with a status code, answer slowly, and records what it received.
/// </summary>
internal sealed class OpenAiWireServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<(string Path, string? Authorization, JsonObject Body)> Requests { get; } = new();
    public int FailFirst { get; set; }
    public int FailStatus { get; set; } = 503;
    public TimeSpan Delay { get; set; }
    public string Reply { get; set; } = "Hello from the wire server.";
    private int _seen;

    private OpenAiWireServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<OpenAiWireServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new OpenAiWireServer(app);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapPost("/v1/embeddings", server.EmbeddingsAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address + "/v1");
        return server;
    }

    private async Task<bool> AdmitAsync(HttpContext context, JsonObject body)
    {
        Requests.Enqueue((context.Request.Path, context.Request.Headers.Authorization.ToString(), body));
        if (Interlocked.Increment(ref _seen) <= FailFirst)
        {
            context.Response.StatusCode = FailStatus;
            if (FailStatus == 429) context.Response.Headers.RetryAfter = "0";
            await context.Response.WriteAsJsonAsync(new { error = new { message = "try again later", type = "overloaded" } });
            return false;
        }
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, context.RequestAborted);
        return true;
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        if (!await AdmitAsync(context, body)) return;
        var prompt = string.Join(" ", ((JsonArray)body["messages"]!).Select(m => m!["content"]!.GetValue<string>()));
        int promptTokens = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var words = Reply.Split(' ');
        if (body["stream"]?.GetValue<bool>() == true)
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": keep-alive comment\n\n");
            for (int i = 0; i < words.Length; i++)
            {
                var delta = new JsonObject { ["content"] = (i == 0 ? "" : " ") + words[i] };
                var chunk = new JsonObject
                {
                    ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["model"] = body["model"]!.GetValue<string>(),
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = i == words.Length - 1 ? "stop" : null }),
                };
                await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", Encoding.UTF8);
                await context.Response.Body.FlushAsync();
            }
            var usage = new JsonObject
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["choices"] = new JsonArray(),
                ["usage"] = new JsonObject { ["prompt_tokens"] = promptTokens, ["completion_tokens"] = words.Length, ["total_tokens"] = promptTokens + words.Length },
            };
            await context.Response.WriteAsync("data: " + usage.ToJsonString() + "\n\ndata: [DONE]\n\n", Encoding.UTF8);
            return;
        }
        await context.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-1",
            @object = "chat.completion",
            model = body["model"]!.GetValue<string>(),
            choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply }, finish_reason = "stop" } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = words.Length, total_tokens = promptTokens + words.Length },
        });
    }

    private async Task EmbeddingsAsync(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        if (!await AdmitAsync(context, body)) return;
        var inputs = ((JsonArray)body["input"]!).Select(n => n!.GetValue<string>()).ToList();
        // Deterministic vectors: [length, vowel count, index-free hash]; returned in reverse order to test reordering.
        var data = inputs.Select((s, i) => new
        {
            @object = "embedding",
            index = i,
            embedding = new[] { (float)s.Length, (float)s.Count("aeiou".Contains), (float)(s.GetHashCode(StringComparison.Ordinal) % 1000) },
        }).Reverse().ToArray();
        await context.Response.WriteAsJsonAsync(new { @object = "list", data, model = body["model"]!.GetValue<string>(), usage = new { prompt_tokens = inputs.Count * 3, total_tokens = inputs.Count * 3 } });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
