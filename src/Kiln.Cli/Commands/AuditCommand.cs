using System.CommandLine;
using System.Text.Json;
using Kiln.Api.Security.Audit;
using Kiln.Core.Security.Audit;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.Security;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln audit [--user U] [--since T] [--json] [--verify]</c>: the audit log, oldest first, read from the data
/// folder (or <c>--store</c>), or with <c>--remote</c> from the running server at <c>--url</c> as an admin
/// (<c>KILN_USER</c>/<c>KILN_SECRET</c>). <c>--verify</c> checks the hash chain and exits 1 if it is broken.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data folder", DefaultValueFactory = _ => ".kiln" };
        var store = new Option<string?>("--store") { Description = "Read the log from this PostgreSQL store (postgres://…) instead of the data folder" };
        var remote = new Option<bool>("--remote") { Description = "Ask the running server at --url instead (as an admin: KILN_USER and KILN_SECRET)" };
        var user = new Option<string?>("--user") { Description = "Only this user's entries (anonymous for refused credentials)" };
        var since = new Option<string?>("--since") { Description = "Only entries from this time on (ISO 8601, or Unix milliseconds)" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries", DefaultValueFactory = _ => 1000 };
        var verify = new Option<bool>("--verify") { Description = "Check the hash chain: exit 1 if an entry was edited or removed" };
        var command = new Command("audit", "Show the audit log (mutating and refused calls) or verify its hash chain.") { dataDir, store, remote, user, since, limit, verify };
        command.SetAction(async (result, ct) =>
        {
            DateTimeOffset? from = null;
            if (result.GetValue(since) is { } sinceText && (from = AuditApi.ParseTime(sinceText)) is null)
            {
                return Output.Fail($"--since must be an ISO 8601 time or Unix milliseconds, got '{sinceText}'.");
            }

            var json = result.GetValue(CliOptions.Json);
            IAuditStore source;
            IDisposable? opened = null;
            try
            {
                if (result.GetValue(remote))
                {
                    var http = RemoteClient(result);
                    opened = http;
                    source = new RemoteAuditStore(http);
                }
                else if (result.GetValue(store) is { } url)
                {
                    var database = new PostgresDatabase(url);
                    opened = database;
                    source = new PostgresAuditStore(database);
                }
                else
                {
                    var path = Path.Combine(Path.GetFullPath(result.GetValue(dataDir)!), "kiln.db");
                    if (!File.Exists(path))
                    {
                        return Output.Fail($"No Kiln data folder at {Path.GetDirectoryName(path)} (kiln.db is missing); pass --data-dir or --store.");
                    }

                    var database = new SqliteDatabase(path);
                    opened = database;
                    source = new SqliteAuditStore(database);
                }

                if (result.GetValue(verify))
                {
                    var check = await AuditChain.VerifyAsync(source, ct);
                    if (json)
                    {
                        Output.Json(new System.Text.Json.Nodes.JsonObject { ["intact"] = check.Intact, ["verified"] = check.Verified, ["broken_at"] = check.BrokenAt, ["problem"] = check.Problem, ["last_hash"] = check.LastHash });
                    }
                    else if (check.Intact)
                    {
                        Console.Out.WriteLine($"The audit log is intact: {check.Verified} entries, last hash {check.LastHash}.");
                    }
                    else
                    {
                        Console.Out.WriteLine($"The audit log is BROKEN at entry {check.BrokenAt}: {check.Problem} ({check.Verified} entries before it check out).");
                    }

                    return check.Intact ? 0 : 1;
                }

                var entries = new List<AuditEntry>();
                long after = 0;
                var wanted = Math.Max(1, result.GetValue(limit));
                while (entries.Count < wanted)
                {
                    var page = await source.ListAsync(new AuditQuery(result.GetValue(user), from, after, Math.Min(1000, wanted - entries.Count)), ct);
                    entries.AddRange(page.Entries);
                    if (page.NextAfter is not { } next)
                    {
                        break;
                    }

                    after = next;
                }

                Print(entries, json);
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or System.Data.Common.DbException or InvalidOperationException)
            {
                return Output.Fail(e.Message);
            }
            finally
            {
                opened?.Dispose();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            }
        });
        return command;
    }

    private static void Print(List<AuditEntry> entries, bool json)
    {
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("entries");
                foreach (var entry in entries)
                {
                    AuditApi.Write(writer, entry);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("#", "Time (UTC)", "User", "Access key", "Action", "Resource", "From", "Status", "Error");
        foreach (var entry in entries)
        {
            var r = entry.Record;
            table.AddRow(
                entry.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(r.User), Markup.Escape(r.AccessKeyId ?? ""), Markup.Escape(r.Action), Markup.Escape(r.Resource ?? ""),
                Markup.Escape(r.RemoteIp ?? ""), r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.ErrorCode ?? ""));
        }

        AnsiConsole.Write(table);
    }

    private static HttpClient RemoteClient(ParseResult result)
    {
        var url = result.GetValue(CliOptions.Url)!;
        return Credentials.Apply(new HttpClient { BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/") });
    }

    /// <summary>The server's <c>/api/kiln/audit</c> read through the same interface as a local store.</summary>
    private sealed class RemoteAuditStore(HttpClient http) : IAuditStore
    {
        public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default) =>
            throw new NotSupportedException("The audit log is written by the server only.");

        public async Task<AuditPage> ListAsync(AuditQuery query, CancellationToken ct = default)
        {
            var path = $"api/kiln/audit?limit={query.Limit}&pageToken={query.After}"
                + (query.User is null ? "" : "&user=" + Uri.EscapeDataString(query.User))
                + (query.Since is null ? "" : "&since=" + query.Since.Value.ToUnixTimeMilliseconds());
            using var response = await http.GetAsync(path, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The server refused ({(int)response.StatusCode}): {body.Trim()}");
            }

            var root = JsonDocument.Parse(body).RootElement;
            var entries = root.GetProperty("entries").EnumerateArray().Select(e => new AuditEntry(
                e.GetProperty("sequence").GetInt64(),
                new AuditRecord(
                    DateTimeOffset.Parse(e.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                    e.GetProperty("user").GetString()!,
                    e.GetProperty("access_key_id").GetString(),
                    e.GetProperty("action").GetString()!,
                    e.GetProperty("resource").GetString(),
                    e.GetProperty("remote_ip").GetString(),
                    e.GetProperty("status").GetInt32(),
                    e.GetProperty("error_code").GetString()),
                e.GetProperty("previous_hash").GetString()!,
                e.GetProperty("hash").GetString()!)).ToList();
            return new AuditPage(entries, root.TryGetProperty("next_page_token", out var next) ? long.Parse(next.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : null);
        }
    }
}
