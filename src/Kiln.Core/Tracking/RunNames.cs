namespace Kiln.Core.Tracking;

/// <summary>Memorable default run names, "adjective-noun-NNN", the shape MLflow users know.</summary>
public static class RunNames
{
    private static readonly string[] Adjectives =
    [
        "amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "fierce", "gentle",
        "glowing", "golden", "hardy", "honest", "humble", "keen", "lively", "lucky", "merry", "mighty",
        "nimble", "patient", "polished", "proud", "quiet", "rapid", "rustic", "sharp", "shiny", "silent",
        "smooth", "steady", "stoic", "sturdy", "sunny", "swift", "tidy", "vivid", "warm", "wise",
    ];

    private static readonly string[] Nouns =
    [
        "anvil", "ash", "basin", "bellows", "brick", "cinder", "clay", "coal", "crucible", "ember",
        "flame", "flint", "forge", "furnace", "glaze", "granite", "hearth", "ingot", "iron", "kettle",
        "lantern", "mortar", "oven", "pebble", "pottery", "quartz", "slag", "smelter", "spark", "steel",
        "stone", "tinder", "tongs", "torch", "vessel", "wick", "wheel", "kiln", "copper", "bronze",
    ];

    public static string Generate(Random? random = null)
    {
        random ??= Random.Shared;
        return $"{Adjectives[random.Next(Adjectives.Length)]}-{Nouns[random.Next(Nouns.Length)]}-{random.Next(1000):D3}";
    }
}
