using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>
/// ResourceConfig.InstanceCount &gt; 1 on one Kiln (the embedded server): a script runs once per host with SageMaker's
/// contract (SM_HOSTS, SM_CURRENT_HOST, resourceconfig.json, MASTER_ADDR/MASTER_PORT), each host's log is its own
/// CloudWatch Logs stream, a failing host fails the job and stops the others, and a torch.distributed (gloo) script
/// trains across two hosts.
/// </summary>
public sealed class DistributedTrainingTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_each_host_gets_the_contract_and_its_own_log_stream")]
    [InlineData("test_a_failing_host_fails_the_job_and_stops_the_others")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_distributed.py", test);

    [TorchFact]
    public Task Pytorch_gloo_trains_across_two_hosts() =>
        Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_distributed.py", "test_pytorch_gloo_trains_across_two_hosts");
}
