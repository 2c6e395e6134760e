using Akka.Configuration;

namespace Datsync.Actors.Storage;

/// <summary>Loads deployment HOCON files such as <c>hocon/datsync.conf</c> and <c>hocon/sqlite.conf</c>.</summary>
internal static class HoconFiles
{
    /// <summary>
    /// Parses the files with Akka's <see cref="ConfigurationFactory"/> and layers them: a later file overrides an
    /// earlier one key by key (<c>Load("hocon/datsync.conf", "hocon/postgres.conf")</c>).
    /// </summary>
    public static Config Load(params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Config? config = null;
        foreach (var path in paths)
        {
            var file = ConfigurationFactory.ParseString(File.ReadAllText(path));
            config = config is null ? file : file.WithFallback(config);
        }
        return config ?? ConfigurationFactory.Empty;
    }
}
