using System.Text;

namespace Groundwork.Models.Chat;

/// <summary>One message of a conversation as a chat template sees it.</summary>
/// <param name="Role">"system", "user" or "assistant" (other roles render like "user" where the family has no slot for them).</param>
/// <param name="Content">The message text.</param>
public readonly record struct ChatTurn(string Role, string Content);

/// <summary>The chat template families this runtime renders natively (no Jinja interpreter).</summary>
public enum ChatTemplateKind
{
    /// <summary>A neutral "User: …\nAssistant:" format for models without a template.</summary>
    Plain,

    /// <summary>ChatML: <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;</c> (Qwen, SmolLM, …).</summary>
    ChatML,

    /// <summary>Llama 3: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c>.</summary>
    Llama3,

    /// <summary>Mistral: <c>[INST] … [/INST] …&lt;/s&gt;</c>.</summary>
    Mistral,

    /// <summary>Zephyr / TinyLlama chat: <c>&lt;|user|&gt;\n…&lt;/s&gt;</c>.</summary>
    Zephyr,

    /// <summary>Llama 2 chat: <c>[INST] &lt;&lt;SYS&gt;&gt;…&lt;&lt;/SYS&gt;&gt; … [/INST]</c>.</summary>
    Llama2,
}

/// <summary>
/// Renders a conversation into a model's prompt format. The family is recognised from the GGUF's Jinja
/// <c>tokenizer.chat_template</c> by marker substrings (as llama.cpp's <c>llm_chat_detect_template</c> does) or chosen by
/// name. Rendered text contains special-token text (e.g. <c>&lt;|im_start|&gt;</c>): encode it with special-token parsing
/// on; the tokenizer's BOS is not part of the text.
/// </summary>
public sealed class ChatTemplate
{
    private readonly string _eos;

    private ChatTemplate(ChatTemplateKind kind, string? eosText)
    {
        Kind = kind;
        _eos = string.IsNullOrEmpty(eosText) ? "</s>" : eosText;
        StopSequences = kind switch
        {
            ChatTemplateKind.ChatML => ["<|im_end|>", "<|im_start|>"],
            ChatTemplateKind.Llama3 => ["<|eot_id|>", "<|start_header_id|>"],
            ChatTemplateKind.Mistral or ChatTemplateKind.Llama2 => [_eos, "[INST]"],
            ChatTemplateKind.Zephyr => [_eos, "<|user|>"],
            _ => ["\nUser:"],
        };
    }

    /// <summary>Template names accepted by <see cref="FromName"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["plain", "chatml", "llama3", "mistral", "zephyr", "llama2"];

    /// <summary>The family.</summary>
    public ChatTemplateKind Kind { get; }

    /// <summary>The family's name as <see cref="FromName"/> accepts it.</summary>
    public string Name => Names[(int)Kind];

    /// <summary>Text that ends an assistant turn in this format (used as stop sequences besides end-of-generation tokens).</summary>
    public IReadOnlyList<string> StopSequences { get; }

    /// <summary>Recognises the family of a Jinja chat template; null, empty or unrecognised templates give <see cref="ChatTemplateKind.Plain"/>.</summary>
    /// <param name="jinja">The <c>tokenizer.chat_template</c> string.</param>
    /// <param name="eosText">The text of the model's end-of-sequence token (Zephyr and Llama 2 write it after a turn); default "&lt;/s&gt;".</param>
    public static ChatTemplate Detect(string? jinja, string? eosText = null) => new(DetectKind(jinja), eosText);

    /// <summary>The template named <paramref name="name"/> (see <see cref="Names"/>, case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static ChatTemplate FromName(string name, string? eosText = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name.Trim(), StringComparison.OrdinalIgnoreCase)) return new((ChatTemplateKind)i, eosText);
        throw new ArgumentException($"unknown chat template '{name}' (known: {string.Join(", ", Names)})", nameof(name));
    }

    /// <summary>Recognises a template family by marker substrings.</summary>
    public static ChatTemplateKind DetectKind(string? jinja)
    {
        if (string.IsNullOrWhiteSpace(jinja)) return ChatTemplateKind.Plain;
        bool Has(string s) => jinja.Contains(s, StringComparison.Ordinal);
        if (Has("<|im_start|>")) return ChatTemplateKind.ChatML;
        if (Has("<|start_header_id|>") && Has("<|end_header_id|>")) return ChatTemplateKind.Llama3;
        if (Has("[INST]")) return Has("<<SYS>>") ? ChatTemplateKind.Llama2 : ChatTemplateKind.Mistral;
        if (Has("<|user|>") && Has("<|assistant|>")) return ChatTemplateKind.Zephyr;
        return ChatTemplateKind.Plain;
    }

    /// <summary>Renders <paramref name="messages"/>; with <paramref name="addAssistantPrompt"/> the text ends where the assistant's reply begins.</summary>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addAssistantPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        switch (Kind)
        {
            case ChatTemplateKind.ChatML:
                foreach (var m in messages) sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                if (addAssistantPrompt) sb.Append("<|im_start|>assistant\n");
                break;

            case ChatTemplateKind.Llama3:
                foreach (var m in messages)
                    sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
                if (addAssistantPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;

            case ChatTemplateKind.Mistral:
                RenderMistral(messages, sb);
                break;

            case ChatTemplateKind.Llama2:
                RenderLlama2(messages, sb);
                break;

            case ChatTemplateKind.Zephyr:
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append(_eos).Append('\n');
                if (addAssistantPrompt) sb.Append("<|assistant|>\n");
                break;

            default:
                foreach (var m in messages) sb.Append(PlainRole(m.Role)).Append(": ").Append(m.Content).Append('\n');
                if (addAssistantPrompt) sb.Append("Assistant:");
                break;
        }

        return sb.ToString();
    }

    // Mistral v3 as llama.cpp renders it: "[INST] {system}\n\n{user}[/INST] {assistant}</s>"; the reply follows "[/INST]".
    private void RenderMistral(IReadOnlyList<ChatTurn> messages, StringBuilder sb)
    {
        bool inTurn = false;
        foreach (var m in messages)
        {
            if (!inTurn)
            {
                sb.Append("[INST] ");
                inTurn = true;
            }

            if (m.Role == "system") sb.Append(m.Content).Append("\n\n");
            else if (m.Role == "assistant")
            {
                sb.Append(' ').Append(m.Content.Trim()).Append(_eos);
                inTurn = false;
            }
            else sb.Append(m.Content).Append("[/INST]");
        }
    }

    // Llama 2 chat as llama.cpp renders it (system in <<SYS>>, BOS text between turns).
    private void RenderLlama2(IReadOnlyList<ChatTurn> messages, StringBuilder sb)
    {
        sb.Append("[INST] ");
        bool inTurn = true;
        foreach (var m in messages)
        {
            if (!inTurn)
            {
                sb.Append("<s>[INST] ");
                inTurn = true;
            }

            if (m.Role == "system") sb.Append("<<SYS>>\n").Append(m.Content).Append("\n<</SYS>>\n\n");
            else if (m.Role == "assistant")
            {
                sb.Append(m.Content).Append(_eos);
                inTurn = false;
            }
            else sb.Append(m.Content).Append(" [/INST]");
        }
    }

    private static string PlainRole(string role) => role switch
    {
        "system" => "System",
        "user" => "User",
        "assistant" => "Assistant",
        _ => role.Length == 0 ? role : char.ToUpperInvariant(role[0]) + role[1..],
    };

    /// <inheritdoc />
    public override string ToString() => Name;
}
