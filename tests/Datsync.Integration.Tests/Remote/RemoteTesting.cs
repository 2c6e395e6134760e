using Akka.Actor;
using Datsync.Actors;
using Datsync.Actors.Master;
using Datsync.Actors.Protocol;
using Datsync.Core;

namespace Datsync.Integration.Tests.Remote;

/// <summary>What the tests of masters and replicas in separate actor systems share.</summary>
internal static class RemoteTesting
{
    /// <summary>Settings under which replicas and sessions notice things quickly, and Akka logs warnings only.</summary>
    public const string Quick = """
        datsync.replica.retry-interval = 200ms
        datsync.replica.connection-timeout = 5s
        datsync.session.heartbeat-interval = 200ms
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    /// <summary>Commits <paramref name="edn"/> straight through the master's transactor (in the master's process).</summary>
    public static async Task<TxAccepted> Commit(MasterSystem master, string edn, TimeSpan timeout)
    {
        var reply = await master.Master.Transactor.Ask(new Transact(Guid.NewGuid().ToString("N"), (IReadOnlyList<object?>)EdnReader.Read(edn)!), timeout);
        return reply as TxAccepted ?? throw new Xunit.Sdk.XunitException($"rejected: {reply}");
    }

    public static async Task<Db> DbOf(MasterSystem master, TimeSpan timeout) =>
        ((CurrentDb)await master.Master.Transactor.Ask(GetDb.Instance, timeout)).Db;

    /// <summary>Every datom as a line, to compare values.</summary>
    public static List<string> All(Db db) => db.Datoms(IndexType.Eavt).Select(d => $"{d.E} {d.A} {EdnPrinter.Print(d.V)}").ToList();
}
