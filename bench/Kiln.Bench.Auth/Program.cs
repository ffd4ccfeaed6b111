// What checking credentials costs a request by itself, in process: the same request (an InvokeEndpoint-style POST
// of one CSV row) goes through Kiln's authentication middleware and a handler that takes the body as the invocation
// handler does, against the same handler without the middleware. No sockets, no other thread: the difference is the
// check's own CPU time, free of the load generator and of the VM's drift that the end-to-end runs (bench/auth.sh (b))
// cannot escape. Users come from a data folder made by `kiln users create`, through the same store and cache a
// server uses; the SigV4 headers are botocore's (bench/auth/sign.py).
// Usage: Kiln.Bench.Auth DATA_DIR URL SIGV4_HEADERS_FILE BODY_FILE USER SECRET [ITERATIONS] [ROUNDS]
// Prints a Markdown table: median ns per request of each pipeline over the rounds, and the check's cost.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kiln.Api.Security;
using Kiln.Core.Security;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.Security;
using Microsoft.AspNetCore.Http.Features;

var dataDirectory = args[0];
var url = new Uri(args[1]);
var sigV4Headers = File.ReadAllLines(args[2]).Select(line => line.Split(':', 2)).ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
var body = File.ReadAllBytes(args[3]);
var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(args[4] + ":" + args[5]));
var iterations = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 200_000;
var rounds = args.Length > 7 ? int.Parse(args[7], CultureInfo.InvariantCulture) : 9;

using var database = new SqliteDatabase(Path.Combine(dataDirectory, "kiln.db"));
var services = new DefaultServiceProviderFactory().CreateServiceProvider(new ServiceCollection()
    .AddSingleton(TimeProvider.System)
    .AddSingleton(new Users(new SqliteUserStore(database), SecretBox.ForDataDirectory(dataDirectory), TimeProvider.System)));

var plain = Pipeline(authenticate: false);
var authenticated = Pipeline(authenticate: true);
(string Name, RequestDelegate Pipeline, Func<HttpContext> Request)[] cases =
[
    ("no check", plain, () => Request(null)),
    ("SigV4 (sagemaker-runtime)", authenticated, () => Request(sigV4Headers)),
    ("HTTP basic (MLflow)", authenticated, () => Request(new Dictionary<string, string> { ["Authorization"] = basic })),
];

// Every case must reach the handler: a refused request would measure the refusal.
foreach (var (name, pipeline, request) in cases)
{
    var http = request();
    await pipeline(http);
    if (http.Response.StatusCode != 200 || (pipeline == authenticated && http.Caller().Name != args[4]))
    {
        throw new InvalidOperationException($"{name}: answered {http.Response.StatusCode} as '{http.Caller().Name}', not 200 as {args[4]}");
    }
}

var nanoseconds = cases.ToDictionary(c => c.Name, _ => new List<double>());
var allocated = cases.ToDictionary(c => c.Name, _ => 0.0);
for (var round = -1; round < rounds; round++)
{
    // Round -1 warms the JIT up (tiered compilation reaches its optimised code) and is not kept.
    foreach (var (name, pipeline, request) in round % 2 == 0 ? cases : cases.Reverse())
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var pending = pipeline(request());
            if (!pending.IsCompletedSuccessfully)
            {
                await pending;
            }
        }

        if (round >= 0)
        {
            nanoseconds[name].Add(watch.Elapsed.TotalNanoseconds / iterations);
            allocated[name] = (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / iterations;
        }
    }
}

double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
var baseline = Median(nanoseconds[cases[0].Name]);
Console.WriteLine($"| pipeline ({iterations:N0} requests × {rounds} rounds, median) | ns per request | the check's own cost (ns) | bytes allocated per request |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var (name, _, _) in cases)
{
    var median = Median(nanoseconds[name]);
    Console.WriteLine($"| {name} | {median:N0} | {(name == cases[0].Name ? "" : $"{median - baseline:N0}")} | {allocated[name]:N0} |");
}

RequestDelegate Pipeline(bool authenticate)
{
    var app = new ApplicationBuilder(services);
    if (authenticate)
    {
        app.UseKilnAuthentication();
    }

    app.Run(async http =>
    {
        // As the invocation handler: a body already in memory is used as it is, else it is read.
        if (http.Request.Body is not MemoryStream buffered || !buffered.TryGetBuffer(out _))
        {
            var copy = new byte[http.Request.ContentLength ?? 0];
            await http.Request.Body.ReadExactlyAsync(copy);
        }

        http.Response.StatusCode = 200;
    });
    return app.Build();
}

HttpContext Request(Dictionary<string, string>? headers)
{
    var http = new DefaultHttpContext { RequestServices = services };
    var request = http.Request;
    request.Method = "POST";
    request.Path = "/endpoints/bench/invocations";
    request.Host = new HostString(url.Authority);
    request.ContentType = "text/csv";
    request.ContentLength = body.Length;
    request.Body = new MemoryStream(body, writable: false);
    http.Features.Get<IHttpRequestFeature>()!.RawTarget = "/endpoints/bench/invocations";
    foreach (var (name, value) in headers ?? [])
    {
        request.Headers[name] = value;
    }

    return http;
}
