using Appliance;

// The verbs and their options live in ApplianceCommandLine; each verb's work starts in its
// *Command class (Server/ServerCommand.cs for `appliance server`).
return await ApplianceCommandLine.RunAsync(args, Console.Out, Console.Error);
