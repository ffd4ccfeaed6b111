using System.CommandLine;

namespace Kiln.Cli;

/// <summary>Options shared by the commands that talk to a running server.</summary>
internal static class CliOptions
{
    public static readonly Option<string> Url = CreateUrl();

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's JSON instead of a table (for scripts)",
        Recursive = true,
    };

    public static KilnClient Client(ParseResult result)
    {
        var url = result.GetValue(Url)!;
        return new KilnClient(new Uri(url.EndsWith('/') ? url : url + "/"), TimeProvider.System);
    }

    private static Option<string> CreateUrl()
    {
        var option = new Option<string>("--url")
        {
            Description = "Base URL of the Kiln server (or set KILN_URL)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("KILN_URL") ?? "http://127.0.0.1:5000",
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--url must be an http(s) URL, got '{value}'.");
            }
        });
        return option;
    }
}
