namespace Kiln.Jobs;

/// <summary>The engine's handle on one job, keyed "kind/name". One activation in the whole cluster runs it.</summary>
[Alias("Kiln.Jobs.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task Start();

    [Alias("Stop")]
    Task Stop();

    [Alias("Describe")]
    Task<JobActivation> Describe();

    /// <summary>Called by the activation itself when its run has ended.</summary>
    [Alias("RunEnded")]
    Task RunEnded();
}

/// <summary>Where and whether a job is running right now.</summary>
[GenerateSerializer, Immutable, Alias("Kiln.Jobs.JobActivation")]
public sealed record JobActivation([property: Id(0)] string Silo, [property: Id(1)] bool Running, [property: Id(2)] int Attempts);
