using Akka.Configuration;

namespace Datsync.Actors;

/// <summary>The defaults of Datsync.Actors (its <c>reference.conf</c>), including the persistence serializer binding.</summary>
public static class DatsyncConfig
{
    /// <summary>Name of the embedded resource holding the defaults.</summary>
    public const string ResourceName = "Datsync.Actors.reference.conf";

    /// <summary>
    /// The defaults; put them behind an application's own configuration with
    /// <c>config.WithFallback(DatsyncConfig.Default)</c>.
    /// </summary>
    public static Config Default { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(DatsyncConfig).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from {typeof(DatsyncConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
