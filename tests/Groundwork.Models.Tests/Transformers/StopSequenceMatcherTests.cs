using Groundwork.Models.Transformers;

namespace Groundwork.Models.Tests.Transformers;

public sealed class StopSequenceMatcherTests
{
    private static (string Text, bool Stopped) Feed(string[] stops, params string[] pieces)
    {
        var m = new StopSequenceMatcher(stops);
        var text = "";
        foreach (var p in pieces)
        {
            text += m.Push(p);
            if (m.Stopped) return (text, true);
        }

        return (text + m.Flush(), false);
    }

    [Fact]
    public void Stop_sequence_inside_one_piece_cuts_before_it()
        => Assert.Equal(("Hello", true), Feed(["\nUser:"], "Hel", "lo\nUser: more"));

    [Fact]
    public void Stop_sequence_across_pieces_is_never_released()
    {
        var m = new StopSequenceMatcher(["<|im_end|>"]);
        Assert.Equal("Hi", m.Push("Hi<|"));
        Assert.Equal("", m.Push("im_"));
        Assert.Equal("", m.Push("end|>tail"));
        Assert.True(m.Stopped);
        Assert.Equal("<|im_end|>", m.Matched);
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void Held_prefix_is_released_when_ruled_out()
    {
        var m = new StopSequenceMatcher(["STOP"]);
        Assert.Equal("a ", m.Push("a ST"));
        Assert.Equal("STart", m.Push("art"));
        Assert.Equal("x", m.Push("xS"));
        Assert.Equal("S", m.Flush()); // end of generation releases what was held
        Assert.False(m.Stopped);
    }

    [Fact]
    public void Earliest_of_several_stops_wins()
        => Assert.Equal(("one ", true), Feed(["three", "two"], "one two three"));

    [Fact]
    public void No_stops_pass_text_through()
        => Assert.Equal(("abc", false), Feed([], "a", "b", "c"));
}
