from csc.cli import main

main()
