namespace Groundwork.Models.Gguf;

/// <summary>A GGUF file is malformed, unsupported, or lacks what was asked of it. The message is one line: "&lt;file&gt;: &lt;what is wrong&gt;".</summary>
public sealed class GgufException : Exception
{
    /// <summary>Creates an exception with a one-line message.</summary>
    public GgufException(string message) : base(message) { }

    /// <summary>Creates an exception with a one-line message and a cause.</summary>
    public GgufException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with no message (required by the exception pattern).</summary>
    public GgufException() { }
}
