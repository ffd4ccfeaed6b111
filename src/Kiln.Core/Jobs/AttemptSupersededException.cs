namespace Kiln.Core.Jobs;

/// <summary>Thrown when an attempt writes after a newer attempt of the same job has begun (its node was thought lost).</summary>
internal sealed class AttemptSupersededException(string name, int attempt)
    : Exception($"Attempt {attempt} of job {name} was superseded by a newer attempt.");
