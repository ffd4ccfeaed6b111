using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kiln.Core.Security;
using Kiln.Server;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>
/// Studio under <c>--auth</c> applies MLflow's permissions as the APIs do: a user logged in through the form sees only
/// the experiments, runs and models (model package groups) they may read, a page of one they may not read is Studio's
/// not-found page, and approving a model package needs EDIT on its group, as UpdateModelPackage does.
/// </summary>
public sealed class StudioPermissionsTests(StudioPermissionsTests.AuthStudio server) : IClassFixture<StudioPermissionsTests.AuthStudio>
{
    [Fact]
    public async Task A_user_sees_only_what_they_may_read_hidden_pages_are_not_found_and_approving_needs_EDIT()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var shownExperiment = $"shown-exp-{tag}";
        var hiddenExperiment = $"hidden-exp-{tag}";
        var shownId = await server.CreateExperimentAsync(shownExperiment);
        var hiddenId = await server.CreateExperimentAsync(hiddenExperiment);
        var (shownRun, shownArtifacts) = await server.CreateRunAsync(shownId, $"shown-run-{tag}");
        var (hiddenRun, hiddenArtifacts) = await server.CreateRunAsync(hiddenId, $"hidden-run-{tag}");
        await server.UploadArtifactAsync(shownArtifacts, "notes.txt", "shown notes");
        await server.UploadArtifactAsync(hiddenArtifacts, "notes.txt", "hidden notes");
        var shownGroup = $"shown-group-{tag}";
        var hiddenGroup = $"hidden-group-{tag}";
        await server.CreatePendingPackageAsync(shownGroup);
        await server.CreatePendingPackageAsync(hiddenGroup);

        var viewer = await server.Services.GetRequiredService<Users>().CreateAsync($"viewer-{tag}", isAdmin: false, canRunCode: false);
        await server.MlflowAsync("experiments/permissions/create", new { experiment_id = hiddenId, username = viewer.User.Name, permission = "NO_PERMISSIONS" });
        await server.MlflowAsync("registered-models/permissions/create", new { name = hiddenGroup, username = viewer.User.Name, permission = "NO_PERMISSIONS" });

        // The viewer holds the default permission (READ) on the shown ones and none on the hidden ones.
        var page = await server.LogInAsync(viewer);
        foreach (var list in new[] { "/", "/experiments", "/models" })
        {
            var response = await page.GotoAsync(list);
            Assert.Equal(200, response!.Status);
            var html = await page.ContentAsync();
            Assert.DoesNotContain(hiddenExperiment, html, StringComparison.Ordinal);
            Assert.DoesNotContain($"hidden-run-{tag}", html, StringComparison.Ordinal);
            Assert.DoesNotContain(hiddenGroup, html, StringComparison.Ordinal);
        }

        await page.GotoAsync("/experiments");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = shownExperiment, Exact = true })).ToBeVisibleAsync();
        await page.GotoAsync("/models");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = shownGroup, Exact = true })).ToBeVisibleAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = $"shown-run-{tag}" })).ToBeVisibleAsync();

        foreach (var hidden in new[] { $"/experiments/{hiddenId}", $"/runs/{hiddenRun}", $"/compare?runs={shownRun}&runs={hiddenRun}", $"/models/{hiddenGroup}", $"/models/{hiddenGroup}/versions/1" })
        {
            var response = await page.GotoAsync(hidden);
            Assert.True(response!.Status == 404, $"{hidden}: {response.Status}");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not found");
            var html = await page.ContentAsync();
            foreach (var secret in new[] { hiddenExperiment, $"hidden-run-{tag}", "hidden-secret-param", "Hidden churn models", "Predicts churn within 30 days" })
            {
                Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
            }
        }

        Assert.Equal(200, (await page.APIRequest.GetAsync(StudioArtifacts.Url(shownRun, "notes.txt"))).Status);
        var hiddenArtifact = await page.APIRequest.GetAsync(StudioArtifacts.Url(hiddenRun, "notes.txt"));
        Assert.Equal(404, hiddenArtifact.Status);
        Assert.DoesNotContain("hidden notes", await hiddenArtifact.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(404, (await page.APIRequest.GetAsync($"/studio/events/run?key={hiddenRun}")).Status);

        // READ without EDIT: the form is shown, its POST is refused on the page and the status stays as it was.
        var shownVersion = await page.GotoAsync($"/models/{shownGroup}/versions/1");
        Assert.Equal(200, shownVersion!.Status);
        await page.GetByLabel("Approve").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Permission denied");
        Assert.Equal("PendingManualApproval", await server.ApprovalStatusAsync(shownGroup));

        // A forged POST for the hidden group (with a valid token) is answered as for a missing one, and changes nothing.
        var token = await page.Locator("form.approval input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var form = page.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token!);
        form.Set("decision", "Approved");
        var forged = await page.APIRequest.PostAsync($"/studio/models/{hiddenGroup}/versions/1/approval", new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(404, forged.Status);
        Assert.Equal("PendingManualApproval", await server.ApprovalStatusAsync(hiddenGroup));

        // The admin sees everything and may approve; the history names them.
        var admin = await server.LogInAsync(server.Admin);
        await admin.GotoAsync("/experiments");
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = hiddenExperiment, Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = shownExperiment, Exact = true })).ToBeVisibleAsync();
        await admin.GotoAsync("/models");
        await Assertions.Expect(admin.GetByRole(AriaRole.Link, new() { Name = hiddenGroup, Exact = true })).ToBeVisibleAsync();
        Assert.Equal(200, (await admin.GotoAsync($"/runs/{hiddenRun}"))!.Status);
        await Assertions.Expect(admin.Locator("h1")).ToHaveTextAsync($"hidden-run-{tag}");
        Assert.Equal(200, (await admin.GotoAsync($"/models/{hiddenGroup}/versions/1"))!.Status);
        await admin.GetByLabel("Approve").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Recorded: Approved");
        await Assertions.Expect(admin.GetByRole(AriaRole.Table, new() { Name = "Approval history, oldest first" }).Locator("tbody tr").Nth(1)).ToContainTextAsync(server.Admin.User.Name);
        Assert.Equal("Approved", await server.ApprovalStatusAsync(hiddenGroup));
    }

    /// <summary>A server started with <c>--auth</c>, an admin whose basic credentials the API calls send, and a headless chromium.</summary>
    public sealed class AuthStudio : IAsyncLifetime
    {
        private static readonly string[] ChromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

        private readonly string _data = Path.Combine(Path.GetTempPath(), "kiln-studio-tests", Guid.NewGuid().ToString("N"));
        private WebApplication? _app;
        private IPlaywright? _playwright;
        private IBrowser? _browser;
        private HttpClient Http { get; set; } = null!;

        public UserCredentials Admin { get; private set; } = null!;

        public IServiceProvider Services => _app!.Services;

        public async Task InitializeAsync()
        {
            await DebianChromium.EnsureAsync();
            _app = KilnServer.Build(new KilnServerOptions { Port = 0, DataDirectory = _data, Auth = true });
            await _app.StartAsync();
            var baseAddress = new Uri(_app.Addresses()[0] + "/");
            Admin = await Services.GetRequiredService<Users>().CreateAsync("ada", isAdmin: true, canRunCode: true);
            Http = new HttpClient { BaseAddress = baseAddress };
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Admin.User.Name + ":" + Admin.SecretAccessKey)));
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DebianChromium.Executable, Headless = true, Args = ChromiumArgs });
        }

        /// <summary>A fresh browser context logged in through Studio's form.</summary>
        public async Task<IPage> LogInAsync(UserCredentials user)
        {
            var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = Http.BaseAddress!.ToString() });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/login");
            await page.GetByLabel("User name").FillAsync(user.User.Name);
            await page.GetByLabel("Secret access key").FillAsync(user.SecretAccessKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync($"Logged in as {user.User.Name}");
            return page;
        }

        public async Task<JsonElement> MlflowAsync(string path, object body)
        {
            using var response = await Http.PostAsJsonAsync("api/2.0/mlflow/" + path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        }

        public async Task<string> CreateExperimentAsync(string name) =>
            (await MlflowAsync("experiments/create", new { name })).GetProperty("experiment_id").GetString()!;

        public async Task<(string RunId, string ArtifactUri)> CreateRunAsync(string experimentId, string name)
        {
            var info = (await MlflowAsync("runs/create", new { experiment_id = experimentId, run_name = name, start_time = 1_780_000_000_000 })).GetProperty("run").GetProperty("info");
            var runId = info.GetProperty("run_id").GetString()!;
            await MlflowAsync("runs/log-batch", new
            {
                run_id = runId,
                metrics = new[] { new { key = "auc", value = 0.9, timestamp = 1_780_000_000_000, step = 0L } },
                @params = new[] { new { key = "secret", value = name.StartsWith("hidden", StringComparison.Ordinal) ? "hidden-secret-param" : "shown-param" } },
                tags = Array.Empty<object>(),
            });
            return (runId, info.GetProperty("artifact_uri").GetString()!);
        }

        public async Task UploadArtifactAsync(string artifactUri, string path, string content)
        {
            var root = artifactUri["mlflow-artifacts:".Length..].TrimStart('/');
            using var response = await Http.PutAsync($"api/2.0/mlflow-artifacts/artifacts/{root}/{path}", new StringContent(content));
            Assert.True(response.IsSuccessStatusCode, $"upload {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        public async Task CreatePendingPackageAsync(string group)
        {
            await SageMakerAsync("CreateModelPackageGroup", new { ModelPackageGroupName = group, ModelPackageGroupDescription = group.StartsWith("hidden", StringComparison.Ordinal) ? "Hidden churn models" : "Shown churn models" });
            await SageMakerAsync("CreateModelPackage", new
            {
                ModelPackageGroupName = group,
                ModelApprovalStatus = "PendingManualApproval",
                InferenceSpecification = new
                {
                    Containers = new[] { new { Image = "kiln/sklearn:latest", ModelDataUrl = $"s3://studio-models/{group}/model.tar.gz" } },
                    SupportedContentTypes = new[] { "text/csv" },
                    SupportedResponseMIMETypes = new[] { "text/csv" },
                },
                ModelCard = new { ModelCardStatus = "Draft", ModelCardContent = JsonSerializer.Serialize(new { model_overview = new { model_description = "Predicts churn within 30 days" } }) },
            });
        }

        public async Task<string> ApprovalStatusAsync(string group) =>
            (await SageMakerAsync("DescribeModelPackage", new { ModelPackageName = $"{group}/1" })).GetProperty("ModelApprovalStatus").GetString()!;

        public async Task DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }

            _playwright?.Dispose();
            Http?.Dispose();
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private async Task<JsonElement> SageMakerAsync(string operation, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/")
            {
                Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/x-amz-json-1.1"),
            };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
            request.Headers.Add("X-Amz-Target", "SageMaker." + operation);
            using var response = await Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{operation}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        }
    }
}
