using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Groundwork.Testing;

/// <summary>
/// A stand-in model at the IChatClient boundary (for tests where the model itself is not under test): replies with
/// what the script returns for the messages it receives, streamed in small pieces, and records every call.
/// Linked into test projects that set UseAiTestFakes.
/// </summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> script, string model = "scripted-model") : IChatClient
{
    public List<IReadOnlyList<ChatMessage>> Calls { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Calls.Add(list);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, script(list))));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Calls.Add(list);
        var reply = script(list);
        for (int i = 0; i < reply.Length; i += 7)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, reply.Substring(i, Math.Min(7, reply.Length - i)));
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, model) : null;

    public void Dispose() { }
}
