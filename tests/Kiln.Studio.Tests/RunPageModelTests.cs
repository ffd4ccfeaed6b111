using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Lineage;
using Kiln.Studio.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.Studio.Tests;

/// <summary>A run page reads the MLflow model its run logged (MLmodel) and links to the lineage of what the run produced.</summary>
[Collection(StudioCollection.Name)]
public sealed class RunPageModelTests(StudioFixture studio)
{
    // As MLflow 2.x writes it (PyYAML, block style): the signature's inputs are JSON folded over two lines.
    private const string MlModel = """
        artifact_path: model
        flavors:
          python_function:
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.sklearn
            model_path: model.pkl
            predict_fn: predict
            python_version: 3.11.9
          sklearn:
            code: null
            pickled_model: model.pkl
            serialization_format: cloudpickle
            sklearn_version: 1.5.1
        mlflow_version: 2.16.0
        model_size_bytes: 1234
        model_uuid: 0f1c2d
        run_id: abc
        signature:
          inputs: '[{"type": "double", "name": "mean radius", "required": true}, {"type": "string",
            "name": "clinic''s code", "required": false}]'
          outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
          params: null
        utc_time_created: '2026-12-06 10:00:00.000000'

        """;

    [Fact]
    public async Task An_MLmodel_file_previews_as_flavors_a_signature_table_and_the_model_files()
    {
        var runId = await CreateRunWithModelAsync();
        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}?path=model&file=model%2FMLmodel");

        var flavors = page.GetByRole(AriaRole.Table, new() { Name = "Flavors (ways to load this model)" }).Locator("tbody tr");
        await Assertions.Expect(flavors).ToHaveCountAsync(2);
        await Assertions.Expect(flavors.Nth(0)).ToContainTextAsync("python_function");
        await Assertions.Expect(flavors.Nth(0)).ToContainTextAsync("loader_module: mlflow.sklearn");
        await Assertions.Expect(flavors.Nth(1)).ToContainTextAsync("sklearn_version: 1.5.1");

        var inputs = page.GetByRole(AriaRole.Table, new() { Name = "Signature inputs" }).Locator("tbody tr");
        await Assertions.Expect(inputs).ToHaveCountAsync(2);
        await Assertions.Expect(inputs.Nth(0)).ToHaveTextAsync("mean radiusdoubleyes");
        await Assertions.Expect(inputs.Nth(1)).ToHaveTextAsync("clinic's codestringno");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Signature outputs" }).Locator("tbody tr")).ToHaveTextAsync("#0int64 [-1]yes");

        var files = page.GetByRole(AriaRole.Table, new() { Name = "Files of the model" });
        await Assertions.Expect(files.Locator("tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(files).ToContainTextAsync("model/model.pkl");
        await Assertions.Expect(files).ToContainTextAsync("model/conda.yaml");
        await StudioFixture.CheckPageAsync(page, "run-mlflow-model");
    }

    [Fact]
    public async Task A_run_links_to_the_lineage_of_the_model_it_produced_once_lineage_knows_it()
    {
        var runId = await CreateRunWithModelAsync();
        var model = "run-lineage-" + Guid.NewGuid().ToString("N")[..6];
        await studio.MlflowAsync("registered-models/create", new { name = model });
        await studio.MlflowAsync("model-versions/create", new { name = model, source = $"runs:/{runId}/model", run_id = runId });

        var page = await studio.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}");
        var packageArn = Arns.ModelPackage(Arns.DefaultRegion, model, 1);
        var lineage = studio.Services.GetRequiredService<LineageService>();
        if (await lineage.FindAsync(packageArn) is null)
        {
            await Assertions.Expect(page.Locator("a.lineage-link")).ToHaveCountAsync(0);
            await lineage.RecordModelPackageAsync(packageArn, $"s3://studio-models/{model}/model.tar.gz", Arns.DefaultRegion);
            await page.ReloadAsync();
        }

        var link = page.GetByRole(AriaRole.Link, new() { Name = $"Lineage of Model {model} version 1" });
        await Assertions.Expect(link).ToHaveAttributeAsync("href", "/lineage?arn=" + Uri.EscapeDataString(packageArn));
        await StudioFixture.CheckPageAsync(page, "run-lineage-link");
        await link.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Lineage of {model}/1");
    }

    private async Task<string> CreateRunWithModelAsync()
    {
        var experimentId = await studio.CreateExperimentAsync("studio-model-preview-" + Guid.NewGuid().ToString("N")[..6]);
        var (runId, artifactUri) = await studio.CreateRunAsync(experimentId, "sklearn-run", new Dictionary<string, string> { ["C"] = "1.0" }, new Dictionary<string, double[]> { ["auc"] = [0.9] });
        await studio.UploadArtifactAsync(artifactUri, "model/MLmodel", Encoding.UTF8.GetBytes(MlModel));
        await studio.UploadArtifactAsync(artifactUri, "model/model.pkl", [1, 2, 3, 4]);
        await studio.UploadArtifactAsync(artifactUri, "model/conda.yaml", Encoding.UTF8.GetBytes("name: mlflow-env\n"));
        return runId;
    }
}
