namespace Datsync.Actors.Protocol;

/// <summary>Marks a message of the Datsync protocol (it may cross the wire between actor systems).</summary>
internal interface IDatsyncMessage;
