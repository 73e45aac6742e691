using Groundwork.Models.Chat;

namespace Groundwork.Models.Tests.Chat;

public sealed class ChatTemplateTests
{
    private static readonly ChatTurn[] Conversation =
    [
        new("system", "You are terse."),
        new("user", "Hi"),
        new("assistant", "Hello."),
        new("user", "Bye"),
    ];

    // Abbreviated but characteristic fragments of real tokenizer.chat_template strings.
    private const string QwenJinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    private const string Llama3Jinja = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}";
    private const string MistralJinja = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
    private const string Llama2Jinja = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% endif %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}";
    private const string ZephyrJinja = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}{% endfor %}";

    [Theory]
    [InlineData(QwenJinja, ChatTemplateKind.ChatML)]
    [InlineData(Llama3Jinja, ChatTemplateKind.Llama3)]
    [InlineData(MistralJinja, ChatTemplateKind.Mistral)]
    [InlineData(Llama2Jinja, ChatTemplateKind.Llama2)]
    [InlineData(ZephyrJinja, ChatTemplateKind.Zephyr)]
    [InlineData("", ChatTemplateKind.Plain)]
    [InlineData(null, ChatTemplateKind.Plain)]
    [InlineData("{{ something unknown }}", ChatTemplateKind.Plain)]
    public void Detects_the_family(string? jinja, ChatTemplateKind kind) => Assert.Equal(kind, ChatTemplate.DetectKind(jinja));

    [Fact]
    public void ChatML()
        => Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n" +
            "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.FromName("chatml").Render(Conversation));

    [Fact]
    public void Llama3()
        => Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.FromName("llama3").Render(Conversation));

    [Fact]
    public void Mistral()
        => Assert.Equal("[INST] You are terse.\n\nHi[/INST] Hello.</s>[INST] Bye[/INST]", ChatTemplate.FromName("mistral").Render(Conversation));

    [Fact]
    public void Llama2()
        => Assert.Equal("[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST]Hello.</s><s>[INST] Bye [/INST]",
            ChatTemplate.FromName("llama2").Render(Conversation));

    [Fact]
    public void Zephyr_uses_the_models_eos_text()
        => Assert.Equal("<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n<|assistant|>\n",
            ChatTemplate.Detect(ZephyrJinja, "</s>").Render(Conversation));

    [Fact]
    public void Plain()
        => Assert.Equal("System: You are terse.\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:", ChatTemplate.FromName("plain").Render(Conversation));

    [Fact]
    public void Without_assistant_prompt_the_text_ends_after_the_last_turn()
        => Assert.EndsWith("Bye<|im_end|>\n", ChatTemplate.FromName("ChatML").Render(Conversation, addAssistantPrompt: false), StringComparison.Ordinal);

    [Fact]
    public void Stop_sequences_end_the_assistant_turn()
    {
        Assert.Contains("<|im_end|>", ChatTemplate.FromName("chatml").StopSequences);
        Assert.Contains("<|eot_id|>", ChatTemplate.FromName("llama3").StopSequences);
        Assert.Contains("<|endoftext|>", ChatTemplate.FromName("zephyr", "<|endoftext|>").StopSequences);
    }

    [Fact]
    public void Unknown_name_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplate.FromName("vicuna"));
        Assert.Contains("unknown chat template 'vicuna'", e.Message, StringComparison.Ordinal);
    }
}
