using System.Text;
using System.Text.Json;

namespace Groundwork.Training.DatasetBuilding;

/// <summary>
/// Writes a built dataset as <c>train.jsonl</c> and <c>validation.jsonl</c> in the OpenAI chat format the trainer reads
/// (<c>{"messages": [...]}</c>), each line with a <c>metadata</c> object the loader ignores: kind, origin and the source
/// chunks (document path, chunk id, offsets, [n] number). Each file is written to a temporary file and renamed.
/// </summary>
public static class DatasetFiles
{
    /// <summary>Training file name.</summary>
    public const string TrainFile = "train.jsonl";
    /// <summary>Validation file name.</summary>
    public const string ValidationFile = "validation.jsonl";

    /// <summary>Writes both files into <paramref name="directory"/> (created if needed); returns their paths.</summary>
    public static async Task<(string Train, string Validation)> WriteAsync(DatasetBuildResult result, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var train = Path.Combine(directory, TrainFile);
        var validation = Path.Combine(directory, ValidationFile);
        await WriteFileAsync(result.Train, train, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(result.Validation, validation, cancellationToken).ConfigureAwait(false);
        return (train, validation);
    }

    /// <summary>One example as a JSONL line.</summary>
    public static string ToJsonLine(DatasetExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = example.Messages.Select(t => new Dictionary<string, string> { ["role"] = t.Role, ["content"] = t.Content }).ToList(),
            ["metadata"] = new Dictionary<string, object>
            {
                ["kind"] = example.Kind,
                ["origin"] = example.Origin,
                ["sources"] = example.Sources.Select(s => new Dictionary<string, object>
                {
                    ["role"] = s.Role, ["document"] = s.DocumentPath, ["chunk_id"] = s.ChunkId,
                    ["start"] = s.StartOffset, ["end"] = s.EndOffset, ["number"] = s.Number,
                }).ToList(),
            },
        });
    }

    private static async Task WriteFileAsync(IReadOnlyList<DatasetExample> examples, string path, CancellationToken cancellationToken)
    {
        // Temporary file then rename: an interrupted build never leaves a half-written dataset behind.
        var temp = path + ".tmp";
        try
        {
            var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                var writer = new StreamWriter(stream, new UTF8Encoding(false));
                await using (writer.ConfigureAwait(false))
                {
                    foreach (var e in examples)
                    {
                        await writer.WriteAsync(ToJsonLine(e).AsMemory(), cancellationToken).ConfigureAwait(false);
                        await writer.WriteAsync("\n".AsMemory(), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
