namespace Kiln.Clarify.Explainability;

/// <summary>A set of features taken from the explained row (true) while the others come from a baseline row.</summary>
public sealed record Coalition(bool[] Members, double Weight)
{
    public double Weight { get; set; } = Weight;
}
