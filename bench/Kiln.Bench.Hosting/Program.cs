// The limit for Kiln's endpoint: a bare ASP.NET Core handler that calls the same loaded Kiln model in process,
// with no routing between variants, no replicas, no capture. Usage: Kiln.Bench.Hosting <model.tar.gz> <port>
// Port 0 takes a free port; the address it listens on is printed once it does ("listening on http://...").
using System.Formats.Tar;
using System.IO.Compression;
using Kiln.Serving.Inference;
using Kiln.Training.Algorithms;

var archive = args[0];
var port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var directory = Directory.CreateTempSubdirectory("kiln-bare-").FullName;
await using (var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
{
    await TarFile.ExtractToDirectoryAsync(gzip, directory, overwriteFiles: true);
}

using var predictor = new AlgorithmCatalog().LoadPredictor(directory);
// The model path and port are not settings, so they stay out of configuration. No appsettings reload: its watcher
// walks the working directory's whole tree (started from / on a busy machine, /ping took 17-59 s instead of 3-5 s).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(kestrel => kestrel.AddServerHeader = false).UseUrls($"http://127.0.0.1:{port}");
var app = builder.Build();
app.MapPost("/invocations", async (HttpContext http) =>
{
    var body = new byte[http.Request.ContentLength ?? 0];
    await http.Request.Body.ReadExactlyAsync(body);
    var (output, contentType) = Payloads.Encode(predictor.Predict(Payloads.Decode(body, http.Request.ContentType)), null, Payloads.Csv);
    http.Response.ContentType = contentType;
    await http.Response.Body.WriteAsync(output);
});
app.MapGet("/ping", () => "ok");
await app.StartAsync();
Console.WriteLine($"listening on {app.Urls.First()}");
await app.WaitForShutdownAsync();
