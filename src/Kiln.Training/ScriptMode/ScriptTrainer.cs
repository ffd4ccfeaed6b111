using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Artifacts;
using Kiln.Core.Training;
using Kiln.Training.Containers;

namespace Kiln.Training.ScriptMode;

/// <summary>
/// Runs user code as a training job under SageMaker's training container contract: an <c>/opt/ml</c>-style
/// tree under the job's folder (hyperparameters.json, inputdataconfig.json, resourceconfig.json, channel
/// folders, model/, output/), the <c>SM_*</c> environment of the SageMaker training toolkit, hyperparameters
/// as <c>--name value</c> arguments. Its output lines are the job's log; MetricDefinitions turn lines into
/// metrics. A non-zero exit fails the job, with <c>output/failure</c> as the reason when the script wrote one.
/// </summary>
public sealed class ScriptTrainer(ScriptSpec spec, DataUris data, ScriptModeOptions options) : ITrainer
{
    private const int MaxFailureReason = 1024;

    bool ITrainer.RunsUserCode => true;

    /// <summary>A script's metrics are what its MetricDefinitions' regular expressions find in its log.</summary>
    public IReadOnlyCollection<string>? MetricNames => spec.MetricDefinitions.Select(definition => definition.Name).ToList();

    public void Validate(IReadOnlyDictionary<string, string> hyperParameters, IReadOnlyCollection<string> channelNames)
    {
        if (spec.Command.Count == 0 && spec.Program is null)
        {
            throw new TrainingValidationException(
                "Script mode needs an entry point: AlgorithmSpecification.ContainerEntrypoint, or the sagemaker_program hyperparameter with sagemaker_submit_directory.");
        }

        if (spec.Program is not null && spec.SubmitDirectory is null && !channelNames.Contains("code"))
        {
            throw new TrainingValidationException("sagemaker_program needs sagemaker_submit_directory (an s3:// or file:// location of the code) or a 'code' channel.");
        }

        foreach (var definition in spec.MetricDefinitions)
        {
            try
            {
                _ = new Regex(definition.Regex, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new TrainingValidationException($"MetricDefinitions: the regular expression '{definition.Regex}' for metric '{definition.Name}' is not valid: {e.Message}");
            }
        }
    }

    public async Task TrainAsync(TrainingContext context)
    {
        var ml = Directory.CreateDirectory(Path.Combine(context.WorkingDirectory, "opt", "ml")).FullName;
        var code = Directory.CreateDirectory(Path.Combine(ml, "code")).FullName;
        await StageCodeAsync(context, code).ConfigureAwait(false);
        var layout = WriteContainerTree(context, ml);
        var arguments = UserArguments(context.HyperParameters);
        var (program, programArguments) = CommandLine(code, arguments);
        var environment = Environment(context, layout, code, arguments);
        var metrics = spec.MetricDefinitions.Select(m => (m.Name, Regex: new Regex(m.Regex, RegexOptions.None, TimeSpan.FromSeconds(1)))).ToList();

        context.Reporter.Log($"Invoking script: {program} {string.Join(' ', programArguments)}");
        void OnLine(string line, bool error)
        {
            context.Reporter.Log(line);
            foreach (var (name, regex) in metrics)
            {
                try
                {
                    var match = regex.Match(line);
                    if (match.Success && match.Groups.Count > 1
                        && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    {
                        context.Reporter.Metric(name, value);
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                }
            }
        }

        ContainerProcess.Result result;
        try
        {
            result = await ContainerProcess.RunAsync(program, programArguments, code, environment, OnLine, options.StopGracePeriod, context.CancellationToken).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TrainingFailedException($"ExecuteUserScriptError: could not start '{program}': {e.Message}");
        }

        if (result.ExitCode != 0)
        {
            var failureFile = Path.Combine(ml, "output", "failure");
            var reason = File.Exists(failureFile) && await File.ReadAllTextAsync(failureFile).ConfigureAwait(false) is { Length: > 0 } written
                ? written.Trim()
                : $"ExecuteUserScriptError: Command \"{program} {string.Join(' ', programArguments)}\" exited with code {result.ExitCode}" +
                  (result.LastErrors.Count > 0 ? ": " + string.Join(" | ", result.LastErrors) : "");
            throw new TrainingFailedException(reason.Length <= MaxFailureReason ? reason : reason[..MaxFailureReason]);
        }
    }

    /// <summary>Brings the code in: sagemaker_submit_directory (a folder or a sourcedir.tar.gz, by s3:// or file://) or the 'code' channel.</summary>
    private async Task StageCodeAsync(TrainingContext context, string code)
    {
        if (spec.SubmitDirectory is { } source)
        {
            var staging = Directory.CreateDirectory(Path.Combine(context.WorkingDirectory, "code-download")).FullName;
            try
            {
                await data.DownloadAsync(source, staging, context.CancellationToken).ConfigureAwait(false);
            }
            catch (Kiln.Core.Common.KilnException e)
            {
                throw new TrainingFailedException($"ClientError: the code at sagemaker_submit_directory '{source}' could not be read: {e.Message}");
            }

            var archives = Directory.GetFiles(staging, "*.tar.gz", SearchOption.AllDirectories);
            if (archives.Length == 1 && Directory.GetFiles(staging, "*", SearchOption.AllDirectories).Length == 1)
            {
                await using var file = File.OpenRead(archives[0]);
                await using var gzip = new GZipStream(file, CompressionMode.Decompress);
                await TarFile.ExtractToDirectoryAsync(gzip, code, overwriteFiles: true, context.CancellationToken).ConfigureAwait(false);
            }
            else
            {
                CopyTree(staging, code);
            }
        }
        else if (context.Channels.TryGetValue("code", out var channel))
        {
            CopyTree(channel.Directory, code);
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private sealed record ContainerLayout(string Input, string InputConfig, string InputData, string Model, string Output, string OutputData, string Failure);

    /// <summary>The /opt/ml tree: config files as SageMaker writes them, channel folders linked in, model and output folders.</summary>
    private static ContainerLayout WriteContainerTree(TrainingContext context, string ml)
    {
        var input = Path.Combine(ml, "input");
        var config = Directory.CreateDirectory(Path.Combine(input, "config")).FullName;
        var dataRoot = Directory.CreateDirectory(Path.Combine(input, "data")).FullName;
        var output = Directory.CreateDirectory(Path.Combine(ml, "output")).FullName;
        var model = Path.Combine(ml, "model");
        var outputData = Path.Combine(output, "data");
        Link(model, context.ModelDirectory);
        Link(outputData, context.OutputDirectory);
        foreach (var channel in context.Channels.Values)
        {
            Link(Path.Combine(dataRoot, channel.Name), channel.Directory);
        }

        File.WriteAllText(Path.Combine(config, "hyperparameters.json"), JsonSerializer.Serialize(context.HyperParameters));
        File.WriteAllText(Path.Combine(config, "inputdataconfig.json"), JsonSerializer.Serialize(InputDataConfig(context)));
        File.WriteAllText(Path.Combine(config, "resourceconfig.json"), JsonSerializer.Serialize(ResourceConfig(HostsOf(context))));
        return new ContainerLayout(input, config, dataRoot, model, output, outputData, Path.Combine(output, "failure"));
    }

    /// <summary>Points <paramref name="path"/> at <paramref name="target"/> (a symbolic link, so nothing is copied).</summary>
    private static void Link(string path, string target)
    {
        if (Path.GetFullPath(path) == Path.GetFullPath(target) || Directory.Exists(path))
        {
            return;
        }

        Directory.CreateSymbolicLink(path, target);
    }

    private static Dictionary<string, object> InputDataConfig(TrainingContext context) =>
        context.Channels.Values.ToDictionary(
            channel => channel.Name,
            channel => (object)new Dictionary<string, string>
            {
                ["ContentType"] = channel.ContentType ?? "",
                ["TrainingInputMode"] = "File",
                ["S3DistributionType"] = "FullyReplicated",
                ["RecordWrapperType"] = "None",
            });

    private static TrainingHosts HostsOf(TrainingContext context) => context.Hosts ?? TrainingHosts.Single;

    private static Dictionary<string, object> ResourceConfig(TrainingHosts hosts) => new()
    {
        ["current_host"] = hosts.Current,
        ["current_instance_type"] = "local",
        ["current_group_name"] = "homogeneousCluster",
        ["hosts"] = hosts.All,
        ["instance_groups"] = new[]
        {
            new Dictionary<string, object> { ["instance_group_name"] = "homogeneousCluster", ["instance_type"] = "local", ["hosts"] = hosts.All },
        },
        ["network_interface_name"] = "lo",
    };

    /// <summary>Hyperparameters as the training toolkit passes them: <c>--name value</c>, JSON-decoded, without the SDK's sagemaker_* entries.</summary>
    private static List<string> UserArguments(IReadOnlyDictionary<string, string> hyperParameters) =>
        hyperParameters
            .Where(pair => !pair.Key.StartsWith("sagemaker_", StringComparison.Ordinal))
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .SelectMany(pair => new[] { $"--{pair.Key}", ScriptModeSource.Unquote(pair.Value)! })
            .ToList();

    private (string Program, List<string> Arguments) CommandLine(string code, List<string> userArguments)
    {
        if (spec.Command.Count > 0)
        {
            return (spec.Command[0], [.. spec.Command.Skip(1), .. userArguments]);
        }

        var program = spec.Program!;
        var path = Path.Combine(code, program);
        return Path.GetExtension(program) switch
        {
            ".py" => (options.Python, [path, .. userArguments]),
            ".sh" => ("bash", [path, .. userArguments]),
            _ => (path, userArguments),
        };
    }

    private Dictionary<string, string> Environment(TrainingContext context, ContainerLayout layout, string code, List<string> userArguments)
    {
        var hps = context.HyperParameters
            .Where(pair => !pair.Key.StartsWith("sagemaker_", StringComparison.Ordinal))
            .ToDictionary(pair => pair.Key, pair => JsonValue(pair.Value));
        var channels = context.Channels.Keys.Order(StringComparer.Ordinal).ToList();
        var hosts = HostsOf(context);
        var environment = new Dictionary<string, string>(spec.Environment)
        {
            ["PYTHONUNBUFFERED"] = "1",
            ["SM_MODEL_DIR"] = layout.Model,
            ["SM_OUTPUT_DIR"] = layout.Output,
            ["SM_OUTPUT_DATA_DIR"] = layout.OutputData,
            ["SM_OUTPUT_INTERMEDIATE_DIR"] = Path.Combine(layout.Output, "intermediate"),
            ["SM_INPUT_DIR"] = layout.Input,
            ["SM_INPUT_CONFIG_DIR"] = layout.InputConfig,
            ["SM_CHANNELS"] = JsonSerializer.Serialize(channels),
            ["SM_HPS"] = JsonSerializer.Serialize(hps),
            ["SM_INPUT_DATA_CONFIG"] = JsonSerializer.Serialize(InputDataConfig(context)),
            ["SM_RESOURCE_CONFIG"] = JsonSerializer.Serialize(ResourceConfig(hosts)),
            ["SM_HOSTS"] = JsonSerializer.Serialize(hosts.All),
            ["SM_CURRENT_HOST"] = hosts.Current,
            ["SM_CURRENT_INSTANCE_TYPE"] = "local",
            ["SM_NUM_CPUS"] = System.Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["SM_NUM_GPUS"] = "0",
            ["SM_NUM_NEURONS"] = "0",
            ["SM_LOG_LEVEL"] = "20",
            ["SM_NETWORK_INTERFACE_NAME"] = "lo",
            ["SM_USER_ARGS"] = JsonSerializer.Serialize(userArguments),
            ["SM_USER_ENTRY_POINT"] = spec.Program ?? (spec.Command.Count > 0 ? spec.Command[0] : ""),
            ["SM_MODULE_NAME"] = Path.GetFileNameWithoutExtension(spec.Program ?? ""),
            ["SM_MODULE_DIR"] = spec.SubmitDirectory ?? code,
            ["SM_FRAMEWORK_MODULE"] = "",
            ["SM_TRAINING_ENV"] = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["job_name"] = context.JobName,
                ["model_dir"] = layout.Model,
                ["output_data_dir"] = layout.OutputData,
                ["channel_input_dirs"] = channels.ToDictionary(name => name, name => Path.Combine(layout.InputData, name)),
                ["hyperparameters"] = hps,
                ["hosts"] = hosts.All,
                ["current_host"] = hosts.Current,
                ["master_hostname"] = hosts.All[0],
                ["num_cpus"] = System.Environment.ProcessorCount,
                ["num_gpus"] = 0,
                ["user_entry_point"] = spec.Program ?? "",
            }),
            ["TRAINING_JOB_NAME"] = context.JobName,
        };
        if (hosts.IsDistributed)
        {
            // What torch.distributed's env:// rendezvous reads (SageMaker's PyTorch containers set these for torchrun).
            // Host names do not resolve here, so MASTER_ADDR is the address of algo-1's node.
            environment["MASTER_ADDR"] = hosts.MasterAddress;
            environment["MASTER_PORT"] = hosts.MasterPort.ToString(CultureInfo.InvariantCulture);
            environment["WORLD_SIZE"] = hosts.All.Count.ToString(CultureInfo.InvariantCulture);
            environment["RANK"] = hosts.Rank.ToString(CultureInfo.InvariantCulture);
            environment["NODE_RANK"] = environment["RANK"];
            environment["LOCAL_RANK"] = "0";
            environment["LOCAL_WORLD_SIZE"] = "1";
        }

        foreach (var channel in channels)
        {
            environment[$"SM_CHANNEL_{channel.ToUpperInvariant()}"] = Path.Combine(layout.InputData, channel);
        }

        foreach (var (name, value) in hps)
        {
            environment[$"SM_HP_{name.ToUpperInvariant()}"] = value is string text ? text : JsonSerializer.Serialize(value);
        }

        return environment;
    }

    /// <summary>A hyperparameter as the toolkit sees it: JSON when it parses as JSON (numbers, quoted strings, lists), else the text.</summary>
    private static object JsonValue(string value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return value;
        }
    }
}
