using System.Text;

namespace Kiln.Cli;

/// <summary>
/// A CSV with a header uploaded for a job through the S3 endpoint: split 80/20 into train and validation (unless
/// a validation file is given), under <c>s3://kiln-cli/{name}/</c>.
/// </summary>
internal sealed record TrainingData(string Name, string TargetColumn, IReadOnlyList<string> TargetValues, int TrainRows, int ValidationRows)
{
    public const string Bucket = "kiln-cli";

    public string Prefix => $"s3://{Bucket}/{Name}";

    /// <summary>Null when the target column is not in the header.</summary>
    public static async Task<TrainingData?> UploadAsync(KilnClient client, FileInfo file, string targetColumn, FileInfo? validationFile, string name, CancellationToken ct)
    {
        var csv = CsvFile.Read(file);
        var targetIndex = csv.Header.IndexOf(targetColumn);
        if (targetIndex < 0)
        {
            return null;
        }

        var lines = await File.ReadAllLinesAsync(file.FullName, ct);
        var (train, validation) = validationFile is not null ? (lines, await File.ReadAllLinesAsync(validationFile.FullName, ct)) : Split(lines);
        await client.PutObjectAsync(Bucket, $"{name}/train/{file.Name}", Encoding.UTF8.GetBytes(string.Join('\n', train) + "\n"), ct);
        await client.PutObjectAsync(Bucket, $"{name}/validation/{file.Name}", Encoding.UTF8.GetBytes(string.Join('\n', validation) + "\n"), ct);
        return new TrainingData(name, targetColumn, csv.Column(targetIndex), train.Length - 1, validation.Length - 1);
    }

    /// <summary>The train and validation channels, in SageMaker's shape.</summary>
    public object[] Channels() => [Channel("train", $"{Prefix}/train/"), Channel("validation", $"{Prefix}/validation/")];

    private static (string[] Train, string[] Validation) Split(string[] lines)
    {
        var random = new Random(42);
        var rows = lines.Skip(1).Where(line => line.Length > 0).OrderBy(_ => random.Next()).ToList();
        var cut = (int)(rows.Count * 0.8);
        return ([lines[0], .. rows[..cut]], [lines[0], .. rows[cut..]]);
    }

    private static object Channel(string name, string uri) => new
    {
        ChannelName = name,
        ContentType = "text/csv;header=present",
        DataSource = new { S3DataSource = new { S3DataType = "S3Prefix", S3Uri = uri } },
    };
}
