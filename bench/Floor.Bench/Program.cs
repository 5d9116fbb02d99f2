using WalkieTalkie.Bench.Floor;

// MSC4002 floor control over real HTTP against real servers and PostgreSQL (fsync on unless said), figures beside a
// baseline measured in the same run:
//   dotnet run -c Release --project bench/Floor.Bench -- [samples=2000] [clients=32] [decisions=20000] [fsync=on|off]
//     rooms of their own: request → granted, decisions/s; beside a durable INSERT round trip
//   dotnet run -c Release --project bench/Floor.Bench -- contended [devices=24] [seconds=20] [alone-seconds=10]
//     ONE room's floor contended through two server processes; beside one device alone in a room
if (args.FirstOrDefault() == "contended") await ContendedFloor.RunAsync(args[1..]);
else await SeparateRooms.RunAsync(args);
