Console.WriteLine("groundwork");
