namespace Datsync.Actors;

/// <summary>The master cannot use its storage: the journal cannot be read, or the database is not one. The message is
/// one line naming the storage and the cause.</summary>
public class DatsyncStorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Another master holds the storage (its lock file, or its PostgreSQL advisory lock): a second writer on one
/// journal is refused at start.</summary>
public sealed class StorageLockedException(string message, Exception? inner = null) : DatsyncStorageException(message, inner);
