using System.Security.Cryptography;
using System.Text;

namespace Groundwork;

/// <summary>Content hashes used for change detection and cache keys.</summary>
public static class ContentHash
{
    /// <summary>Lower-case hex SHA-256 of bytes.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Lower-case hex SHA-256 of the UTF-8 encoding of text.</summary>
    public static string Of(string text) => Of(Encoding.UTF8.GetBytes(text));

    /// <summary>Lower-case hex SHA-256 of a stream, read to its end.</summary>
    public static async Task<string> OfStreamAsync(Stream stream, CancellationToken cancellationToken = default)
        => Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
}
