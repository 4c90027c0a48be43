from bench.load.run import main

main()
