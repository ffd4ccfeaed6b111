using System.Diagnostics;
using System.Globalization;
using Kiln.Monitoring;
using Kiln.Monitoring.Datasets;

// Kiln's suggest_baseline statistics on one CSV file, in this fresh process: prints JSON with the seconds taken
// (reading and profiling, then writing statistics.json and constraints.json to the output folder).
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Kiln.Bench.Monitoring <file.csv> <output folder>");
    return 2;
}

var clock = Stopwatch.StartNew();
BaselineResult baseline;
using (var file = new FileStream(args[0], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
{
    baseline = DataQualityMonitor.SuggestBaseline(DatasetSource.Csv(file, header: true));
}

var profiled = clock.Elapsed.TotalSeconds;
Directory.CreateDirectory(args[1]);
File.WriteAllText(Path.Combine(args[1], "statistics.json"), baseline.StatisticsJson);
File.WriteAllText(Path.Combine(args[1], "constraints.json"), baseline.ConstraintsJson);
var total = clock.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"seconds\": {total:F3}, \"profile_seconds\": {profiled:F3}, \"rows\": {baseline.Statistics.ItemCount}, \"features\": {baseline.Statistics.Features.Count}}}"));
return 0;
